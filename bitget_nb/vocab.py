"""The wire vocabulary: every enum value of the V3 API that the client and the exchange share.

One place, so the request models, the widgets and the local exchange accept and emit the same
words (spec §4.0, §4.1.1, §5.1, §5.7).

>>> "USDT-FUTURES" in FUTURES_CATEGORIES
True
"""

from __future__ import annotations

import re

__all__ = [
    "CANDLE_INTERVALS",
    "CANDLE_PRICE_TYPES",
    "CATEGORIES",
    "CLIENT_OID",
    "FUTURES_CATEGORIES",
    "HOLD_MODES",
    "MARGIN_MODES",
    "ORDER_STATUSES",
    "ORDER_TYPES",
    "PERM_TYPES",
    "PERM_TYPE_SPELLINGS",
    "POS_SIDES",
    "SIDES",
    "STABLE_COINS",
    "STP_MODES",
    "TIME_IN_FORCE",
    "TRIGGER_BY",
    "YES_NO",
]

#: Business lines, uppercase in REST (spec §4.0).
CATEGORIES = ("SPOT", "MARGIN", "USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")
FUTURES_CATEGORIES = ("USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")
#: Coins valued at 1 USD (spec §4.4.1 reports equity in USD and USDT alike): the exchange's
#: quote coins, and the coins a trade report counts at 1 USDT.
STABLE_COINS = ("USDT", "USDC", "USD")
SIDES = ("buy", "sell")
ORDER_TYPES = ("limit", "market")
#: ``rpi`` (newer docs, spec §4.1.1) is not offered: retail-price-improvement needs a venue
#: programme the paper exchange does not model.
TIME_IN_FORCE = ("gtc", "ioc", "fok", "post_only")
POS_SIDES = ("long", "short")
MARGIN_MODES = ("crossed", "isolated")
STP_MODES = ("none", "cancel_taker", "cancel_maker", "cancel_both")
#: ``market`` is the last traded price, ``mark`` the mark price (spec §6).
TRIGGER_BY = ("market", "mark")
HOLD_MODES = ("one_way_mode", "hedge_mode")
YES_NO = ("yes", "no")
#: spec §5.1; ``new`` is never emitted by the local exchange (spec §9 #9).
ORDER_STATUSES = ("live", "partially_filled", "filled", "cancelled")
#: ``permType`` of account/info, as live Bitget spells it (spec §10.2), and the spelling of
#: the DOCS prose (spec §1.6), which the client reads as the same value.
PERM_TYPES = ("read_only", "read_and_write")
PERM_TYPE_SPELLINGS = {"read-only": "read_only", "read-and-write": "read_and_write"}
#: Candle intervals (spec §4.5.5): 1m … 1D in every source, plus GO's 3D 1W 1M and the
#: UTC-anchored variants, which the local exchange serves too.
CANDLE_INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1H", "4H", "6H", "6Hutc", "12H", "12Hutc",
                    "1D", "1Dutc", "3D", "3Dutc", "1W", "1Wutc", "1M", "1Mutc")  # fmt: skip
#: The price series of candles (spec §4.5.5: lowercase, as checked against live).
CANDLE_PRICE_TYPES = ("market", "mark", "index", "premium")
#: spec §4.1.1 / §5.7.
CLIENT_OID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,32}$")
