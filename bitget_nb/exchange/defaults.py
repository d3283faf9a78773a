"""Every choice the local exchange makes where the spec is silent or marked [unverified].

One place, so a fact learned later changes one line. Each constant cites the section of the
working spec (``shared/spec/bitget-v3-api.md``) that leaves it open and says why the value was
picked. Documented wire facts do not live here.
"""

from __future__ import annotations

from typing import Final

#: ±window around the exchange clock for ``ACCESS-TIMESTAMP``; outside → 40008.
#: [unverified] spec §1.5 / §9 #1 (no UTA page states the tolerance).
TIMESTAMP_WINDOW_MS: Final = 30_000

#: Unknown key → 40006 and wrong passphrase → 40012 (40037 / 40036 also exist).
#: [unverified] spec §1.7 / §9 #13.
UNKNOWN_KEY_CODE: Final = "40006"
WRONG_PASSPHRASE_CODE: Final = "40012"

#: Missing ``ACCESS-SIGN`` → 40003 (40002 is the classic "secret key empty").
#: [solid code, split unclear] spec §1.7.
MISSING_SIGN_CODE: Final = "40003"

#: Auth errors answer HTTP 400. [unverified] spec §9 #3.
AUTH_HTTP_STATUS: Final = 400

#: Unknown ``category`` value, and any other malformed parameter → 25200.
#: [unverified] spec §2.4.5 ("would be 25200 or 40034").
BAD_PARAMETER_CODE: Final = "25200"

#: A body that is not JSON, or JSON of the wrong type (array where an object is expected) →
#: 40017 "Parameter verification failed" (the gateway's request-format code, spec §2.4.1).
#: [unverified] which code Bitget uses for unparsable bodies.
BAD_BODY_CODE: Final = "40017"

#: Unknown path, and a known path with the wrong method → HTTP 404 / 405 with code 40404.
#: [unverified] spec §2.2 leaves the body of an unknown path open.
NOT_FOUND_CODE: Final = "40404"

#: Body larger than ``max_body_bytes`` → HTTP 413 with 40017. [unverified] no source.
TOO_LARGE_CODE: Final = "40017"

#: An endpoint of the table that this version of the exchange does not serve yet.
NOT_IMPLEMENTED_MSG: Final = "Request URL NOT FOUND: not implemented by the local exchange yet"

#: Parameter errors append a short detail to the table message ("Parameter verification
#: failed: limit must be an integer from 1 to 1000") so a user can act on it (style habit 9).
#: Auth and rate-limit errors keep the table text exactly. [choice]
DETAIL_SEPARATOR: Final = ": "

#: Candle rows come back ascending by ``ts``. [unverified] spec §4.5.5 / §9 #15.
CANDLES_ASCENDING: Final = True

#: ``startTime``/``endTime``/``limit`` on candles: the newest ``limit`` candles whose open
#: time lies in [startTime, endTime] (endTime defaults to now). [unverified] spec §4.5.5 says
#: nothing; this is how Bitget's V2 candles behave, so clients page backwards with endTime.
CANDLES_NEWEST_IN_WINDOW: Final = True

#: Candle ``limit``: default 100, max 1000. [conflict resolved] spec §7 #11.
CANDLES_LIMIT_DEFAULT: Final = 100
CANDLES_LIMIT_MAX: Final = 1000

#: Intervals of 6H and longer are aligned to UTC+8 (Bitget's V2 convention, where ``6Hutc``,
#: ``1Dutc`` … are the UTC+0 variants); shorter ones to UTC+0. [unverified] spec §4.5.5 (GO
#: lists the ``…utc`` variants; no UTA page says where a 1D candle starts).
LONG_INTERVAL_UTC_OFFSET_MS: Final = 8 * 3_600_000

#: Order book ``limit``: default 5, max 200; the DOCS curl example passes ``limit=max``, read
#: here as 200. [conflict resolved] spec §4.5.4, §7 #14.
ORDERBOOK_LIMIT_DEFAULT: Final = 5
ORDERBOOK_LIMIT_MAX: Final = 200
ORDERBOOK_LIMIT_KEYWORD_MAX: Final = "max"

#: Public trades ``limit``: default 100, max 100. spec §4.5.6.
FILLS_LIMIT_DEFAULT: Final = 100
FILLS_LIMIT_MAX: Final = 100

#: Market-data endpoints accept ``SPOT`` and the futures categories; ``MARGIN`` (which
#: trades on the spot book) is refused with 25200, as the parameter tables say "SPOT or a
#: futures category". [unverified] spec §4.5.3–4.5.6.
MARKET_DATA_CATEGORIES: Final = ("SPOT", "USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")

#: Account defaults (spec §4.4.2 lists the enums, not what a new account has). [unverified]
ASSET_MODE: Final = "multi_assets"
ACCOUNT_LEVEL: Final = "advanced"
HOLD_MODE: Final = "one_way_mode"
STP_MODE: Final = "none"
MARGIN_MODE: Final = "crossed"
#: Default futures leverage per symbol, and default borrowing leverage per margin coin.
FUTURES_LEVERAGE: Final = 10
MARGIN_COIN_LEVERAGE: Final = 3

#: ``effEquity`` is the plain equity (every coin counted at 100 %) until collateral ratios are
#: modelled. [unverified] spec §4.4.1 gives no ratios.
COLLATERAL_RATIO: Final = 1

#: Timestamps of scheduled instrument state changes when none is scheduled: ``"-1"``.
#: [unverified] spec §4.5.2 ("empty/-1 when none"). Used by the data file.
NO_SCHEDULED_TIME: Final = "-1"
#: Borrowing leverage bounds of a margin coin (``set-leverage`` with ``category=MARGIN``).
#: [unverified] spec §4.4.4 gives no bounds for margin coins.
MARGIN_MIN_LEVERAGE: Final = 1
MARGIN_MAX_LEVERAGE: Final = 10

#: ``account/info`` fields this exchange has nothing for (no referrer, no parent account, no
#: channel, no IP whitelist) are empty strings. [unverified] spec §4.4.3 shows no empty form.
EMPTY_INFO_FIELD: Final = ""
