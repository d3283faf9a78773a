"""Every choice the local exchange makes where the spec is silent or marked [unverified].

One place, so a fact learned later changes one line. Each constant cites the section of the
working spec (``shared/spec/bitget-v3-api.md``) that leaves it open and says why the value was
picked. Documented wire facts do not live here.
"""

from __future__ import annotations

from typing import Final

from .. import intervals

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

#: Rate limits are token buckets of ``limit`` tokens refilled at ``limit`` per second; a
#: request is admitted while its bucket holds at least ``1 - RATE_LIMIT_TOLERANCE`` tokens.
#: [unverified] spec §10.4 — how live Bitget counts is not documented. ccxt spaces calls
#: exactly 1/limit apart, start to start, and got 429s from a strict sliding window of
#: arrivals on the 1/s endpoints (1 to 3 in 10); half a token lets arrivals jitter by half an
#: interval (0.5 s at 1/s) while a burst still gets at most ``limit`` through at once and the
#: sustained rate stays ``limit`` per second (:mod:`.ratelimit`).
RATE_LIMIT_TOLERANCE: Final = 0.5

#: Unknown ``category`` value, and any other malformed parameter → 25200.
#: [unverified] spec §2.4.5 ("would be 25200 or 40034").
BAD_PARAMETER_CODE: Final = "25200"

#: A body that is not JSON, or JSON of the wrong type (array where an object is expected) →
#: 40017 "Parameter verification failed" (the gateway's request-format code, spec §2.4.1).
#: [unverified] which code Bitget uses for unparsable bodies.
BAD_BODY_CODE: Final = "40017"

#: A body whose arrays and objects nest deeper than this → 40017, before it is decoded.
#: Bitget's deepest request body is a bare array of objects of scalars (2 levels, spec §1.3
#: batch bodies; V2's ``{"orderList":[{...}]}`` is 3), so 8 leaves room for any client's
#: wrapping and refuses only junk. A small cap matters: Python's JSON encoder and decoder
#: recurse once per level, so a body ~1 000 levels deep was decoded in a server thread but
#: its logged copy could not be read back from a notebook cell's deeper stack — an order
#: acknowledged, then a paper account that would not reopen. [choice] Bitget states no cap.
MAX_BODY_DEPTH: Final = 8

#: Unknown path, and a known path with the wrong method → HTTP 404 / 405 with code 40404.
#: [unverified] spec §2.2 leaves the body of an unknown path open.
NOT_FOUND_CODE: Final = "40404"

#: The classic (pre-UTA) API: a path under one of these prefixes that the exchange does not
#: serve and that needs keys answers HTTP 400 with 40085 "You are in Unified Account mode, and
#: the Classic Account API is not supported at this time" — what live says to a UTA account
#: (ccxt's error table quotes the answer; spec §10.3) — once the request is authenticated
#: like any private one (an unsigned one gets 40001, a bad signature 40009). [unverified
#: order] A classic path is public — an unknown one is 404 as any — when one of its segments
#: is in ``CLASSIC_PUBLIC_SEGMENTS`` or it is in ``CLASSIC_PUBLIC_PATHS``: that covers every
#: public classic path of ccxt's bitget API table (v2/spot/market/…, v2/mix/market/…,
#: spot/v1/public/…, margin/v1/cross/public/…, v2/earn/loan/public/…, spot/v1/notice/…).
CLASSIC_PREFIXES: Final = ("/api/v2/", "/api/mix/", "/api/spot/", "/api/margin/")
CLASSIC_PUBLIC_SEGMENTS: Final = frozenset({"public", "market", "notice"})
CLASSIC_PUBLIC_PATHS: Final = frozenset({"/api/v2/margin/currencies"})
CLASSIC_ACCOUNT_CODE: Final = "40085"

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
CANDLES_LIMIT_MAX: Final = intervals.CANDLES_PAGE_MAX
#: ``history-candles``: 100 a request per its DOCS table, 1,000 per typed-bitget [conflict]:
#: accept up to 1,000, as on candles (bitget_nb.intervals).
HISTORY_CANDLES_LIMIT_MAX: Final = intervals.CANDLES_PAGE_MAX
#: How far back each candle endpoint serves: :func:`bitget_nb.intervals.reach_ms` (shared with
#: the client, which plans its whole-range downloads by it).


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

#: ``bonus`` of each coin in account/assets (newer DOCS sample, spec §10.2: "USDT bonus amount
#: held for this coin" per typed-bitget): a paper account is never granted trading bonuses,
#: so it is always "0". [choice]
NO_BONUS: Final = "0"

#: ``effEquity`` is the plain equity (every coin counted at 100 %) until collateral ratios are
#: modelled. [unverified] spec §4.4.1 gives no ratios.
COLLATERAL_RATIO: Final = 1

#: ``offTime`` / ``limitOpenTime`` of an instrument when nothing is scheduled: ``"-1"`` (the
#: DOCS futures sample, spec §4.5.2, §10.2). Used by the data file.
NO_SCHEDULED_TIME: Final = "-1"
#: ``maintainTime`` when no maintenance is scheduled: ``""``, not ``"-1"``. [solid] spec §10.2:
#: all three DOCS market/Get-Instruments samples (spot, futures, margin) show ``""``, and
#: typed-bitget 0.6.0 types it ``TimestampMillis | ''`` ("empty string … confirmed live").
NO_MAINTENANCE_TIME: Final = ""
#: Borrowing leverage bounds of a margin coin (``set-leverage`` with ``category=MARGIN``).
#: [unverified] spec §4.4.4 gives no bounds for margin coins.
MARGIN_MIN_LEVERAGE: Final = 1
MARGIN_MAX_LEVERAGE: Final = 10

#: ``permType`` of account/info. [conflict, resolved for the live spelling] spec §1.6, §10.2:
#: the DOCS account/info prose and JKorf/Bitget.Net's fixture (a copy of the DOCS sample) say
#: ``read-and-write``; typed-bitget 0.6.0 records ``read_and_write`` — "underscore-separated
#: on the wire, confirmed live" — and types the other value ``read_only``. The client reads
#: either spelling (:data:`bitget_nb.vocab.PERM_TYPE_SPELLINGS`).
PERM_TYPE_READ_WRITE: Final = "read_and_write"
PERM_TYPE_READ_ONLY: Final = "read_only"

#: ``account/info`` fields this exchange has nothing for (no referrer, no parent account, no
#: channel, no IP whitelist) are empty strings. [unverified] spec §4.4.3 shows no empty form.
EMPTY_INFO_FIELD: Final = ""

# --------------------------------------------------------------------------------------------
# Trading (spec §4.1, §5): choices where the spec is silent or marked [unverified]
# --------------------------------------------------------------------------------------------

#: Categories whose orders the local exchange does not settle: MARGIN needs borrowing
#: (spec §4.1.1 rule 5), which is not modelled; its place-order is refused with 25200 and this
#: detail (``settlement.settlement_for`` is the one place). SPOT and the three futures lines
#: are served.
UNSERVED_ORDER_DETAIL: Final = (
    "{category} order placement is not served by the local exchange (SPOT and the futures "
    "categories are)"
)

#: ``cancelReason`` values (spec §4.1.10, §5.1: only ``normal_cancel`` is documented; the
#: enum is incomplete). [unverified] Every other value is ours, one per cause, so a user can
#: tell them apart.
CANCEL_REASON_USER: Final = "normal_cancel"
CANCEL_REASON_IOC: Final = "ioc_cancel"  # the unfilled rest of an ioc order
CANCEL_REASON_FOK: Final = "fok_cancel"  # a fok order that could not fill in full
CANCEL_REASON_POST_ONLY: Final = "post_only_cancel"  # would have taken (spec §9 #4, §2.4.5)
CANCEL_REASON_STP: Final = "stp_cancel"  # self-trade prevention (spec §5.7)
CANCEL_REASON_CANCEL_ALL: Final = "cancel_all"  # cancel-symbol-order (spec §4.1.7)
CANCEL_REASON_MARKET: Final = "market_cancel"  # a market order's unfillable rest (spec §5.2)
CANCEL_REASON_MODIFY: Final = "modify_cancel"  # a failed modify with ``autoCancel=yes``

#: At the same price, the simulated market's liquidity is ahead of the account's own resting
#: orders in the queue (it was there first). [choice] Own orders strictly inside the simulated
#: spread are the best level, as on any book.
SYNTHETIC_FIRST_AT_EQUAL_PRICE: Final = True

#: A resting limit order fills as maker, at its limit price, when the traded price goes
#: THROUGH it (buy: a 1-second price below the limit; sell: above). When the price only
#: TOUCHES the limit (equals it, never beyond) within one processed stretch of time, this
#: fraction of the open quantity fills, rounded down to the lot step and at least one step
#: (so queue position is neither ignored nor assumed first). Each processed stretch (one
#: request with a real clock, one ``advance`` with a manual clock) gives at most one fill per
#: order, dated at the first second that went through (or touched). [choice]
TOUCH_FILL_FRACTION: Final = "0.5"

#: A spot buy limit locks exactly ``price × qty`` of the quote coin: spot fees are taken from
#: the coin received (spec §4.1.13), so no ``feeRateUpRatio`` buffer is needed. True locks
#: ``price × qty × (1 + feeRateUpRatio)`` instead (the surplus is released as the order fills
#: or closes). [choice] spec §4.5.2 names the ratio, not when it applies.
SPOT_BUY_FEE_BUFFER: Final = False

#: Fees are rounded half-up to this many decimals (every spot value on the sample catalogue
#: has at most 8, so balances stay exact at 8 decimals). [unverified] Bitget's fee rounding.
FEE_DECIMALS: Final = 8

#: Notional below ``minOrderAmount`` (price × qty; quote amount of a spot market buy; qty ×
#: last price for a market sell) → 25207 "Order quantity is below the minimum". Quantity below
#: ``minOrderQty`` → 25611. [unverified] spec §4.1.1 rule 2 names no notional code.
NOTIONAL_TOO_SMALL_CODE: Final = "25207"
QTY_TOO_SMALL_CODE: Final = "25611"

#: modify-order with a new qty below the filled quantity → 25200 with a detail.
#: [unverified] spec §4.1.3/§4.1.4 state the rule, not the code. A new qty equal to the filled
#: quantity completes the order (``filled``).
QTY_BELOW_FILLED_CODE: Final = "25200"

#: ``autoCancel=yes`` on modify-order: when the modification is refused (any error after the
#: order was found), the original order is cancelled (``CANCEL_REASON_MODIFY``) and the error
#: is still answered. [unverified] spec §4.1.3 gives the values, not the exact meaning.
AUTO_CANCEL_ON_FAILED_MODIFY: Final = True

#: The open-order caps (400 spot + margin; ``maxSymbolOrderNum`` per symbol → 40761) are
#: checked for orders that can rest: limit ``gtc`` and ``post_only``. ioc, fok and market
#: orders never stay open. [choice] spec §4.1.1 rule 1.
CAP_ONLY_RESTING_ORDERS: Final = True

#: An order sent without ``clientOid`` gets ``<prefix><orderId>`` (matches the clientOid
#: regex of spec §5.7, ≤ 32 characters). [unverified] what Bitget echoes.
AUTO_CLIENT_OID_PREFIX: Final = "auto-"

#: Order-info of orders that have no such value: a market order's ``price``, the base ``qty``
#: of a spot market buy sized in quote, the quote ``amount`` of orders sized in base,
#: ``avgPrice`` before any fill. spec §4.1.10. The market price is ``"0"`` in REST, not "":
#: [single] spec §10.2 — the DOCS trade/Get-Order-Details sample (a spot market buy, also
#: JKorf/Bitget.Net's GetOrder fixture) shows ``"price": "0"`` with ``"qty": "0"``; only the
#: WebSocket order sample shows "". The client reads a market order's price as missing.
MARKET_ORDER_PRICE: Final = "0"
QUOTE_SIZED_QTY: Final = "0"
BASE_SIZED_AMOUNT: Final = "0"
NO_FILL_AVG_PRICE: Final = "0"
#: Futures-only fields on spot orders and fills (posSide, holdMode, tradeSide, marginMode, the
#: attached TP/SL fields) and TP/SL fields an order or strategy row does not have are empty
#: strings. [unverified] spec §4.1.10 shows futures samples.
NOT_APPLICABLE: Final = ""
#: ``delegateType`` (enum undocumented, spec §4.1.10): every order here comes from the API.
DELEGATE_TYPE: Final = "api"
#: ``execType`` of ordinary orders, and ``isRPI`` of own fills (trade/fills) and public fills
#: (market/fills) — always "no" here: no RPI orders (vocab.TIME_IN_FORCE). Its CASE is a
#: [conflict], resolved for uppercase on REST like ``reduceOnly`` (spec §7 #1): the DOCS
#: Get-Fills and Get-Recent-Public-Fills samples (and JKorf/Bitget.Net's copy of the latter)
#: print ``"no"`` / ``"yes"``, with made-up ids (``"execId": "1"``); but typed-bitget 0.6.0,
#: whose trade/fills page is "confirmed live", validates REST fills against ``'YES' | 'NO'``
#: (and WebSocket fills against ``'yes' | 'no'``, as the WS samples print), and a third-party
#: suite's REST capture with real-looking ids shows ``"isRPI": "NO"``. Lowercase made
#: typed-bitget refuse every fill. The client reads either case (frames ``_to_bool``).
EXEC_TYPE: Final = "normal"
IS_RPI: Final = "NO"
#: The WebSocket pushes say ``isRPI`` in lowercase (WS §4.4, §5.4 [solid]; typed-bitget's WS
#: models accept only ``'yes' | 'no'``): :mod:`.ws_records` lowercases :data:`IS_RPI`.
#: Per-coin ``bonus`` of the ``account`` push (WS §5.1 [single]: GO and typed-bitget, which
#: requires it): no bonus here.
WS_COIN_BONUS: Final = "0"

#: History windows (spec §4.0: 90-day look-back, ≤ 30-day span, both solid) apply to
#: ``createdTime``. When both ``startTime`` and ``endTime`` are omitted the window is the last
#: ``HISTORY_DEFAULT_SPAN_MS`` up to now; with only ``startTime``, it runs that span forward
#: from it; with only ``endTime``, that span back from it (clipped to the look-back). Older
#: rows are reached by explicit windows. [unverified] spec §4.1.12/§4.1.13 give no defaults.
HISTORY_DEFAULT_SPAN_MS: Final = 30 * 86_400_000

#: Lists (unfilled, history, fills) come newest first by id (ids grow with time); ``cursor``
#: is the id of the last row returned while rows are left. spec §9 #6.
LIST_LIMIT_DEFAULT: Final = 100
LIST_LIMIT_MAX: Final = 100
#: ``cursor`` of the last page: JSON null, not "". [single] spec §10.2 — typed-bitget 0.6.0
#: records it "explicitly null on the wire … confirmed live" for unfilled-orders,
#: history-orders, fills, history-strategy-orders and history-position.
LAST_PAGE_CURSOR: Final = None
#: Endpoints whose ``list`` is JSON null, not [], when nothing matches. [single] spec §10.2 —
#: typed-bitget 0.6.0, "confirmed live": fills ("null, not []"), history-position and
#: current-position ("None rather than an empty array"). unfilled-orders was seen live with
#: both null and [] (same source): it keeps []; so do the other lists.
NULL_WHEN_EMPTY: Final = frozenset(
    {"get_trade_fills", "get_position_history", "get_current_position", "get_financial_records"}
)

# --------------------------------------------------------------------------------------------
# Futures (spec §4.1.1, §4.3, §4.4, §5.3): positions, margin, PnL, funding
# --------------------------------------------------------------------------------------------

#: The funding rate of one period is the basis of the perpetual over the index spread over
#: this many periods (three 8-hour periods a day); the mark price is the index × (1 + funding
#: rate), so it sits between the index and the last traded price and differs from last by a
#: few basis points (BTCUSDT: about 2 bps, some 140 ticks). [choice] spec §4.5.3 gives the
#: fields, not how the mark is made.
FUNDING_PERIODS_PER_BASIS: Final = 3

#: Maintenance-margin rate of a symbol = this fraction of its initial-margin rate at the
#: maximum leverage: ``MMR = 0.5 / maxLeverage`` rounded to 4 decimals (BTCUSDT 125× → 0.004,
#: ETHUSDT 100× → 0.005, SOLUSDT 75× → 0.0067), close to Bitget's first risk tier. One tier
#: only. [unverified] spec §4.3.1 names ``mmr`` without values.
MMR_SHARE_OF_MAX_LEVERAGE_IMR: Final = "0.5"

#: ``liquidationPrice`` when no positive price liquidates the position. [unverified]
NO_LIQUIDATION_PRICE: Final = "0"

#: An order that opens exposure locks its initial margin while open (a limit order at its
#: price; a market order, for the instant it matches, at last × (1 + ``openCostUpRatio``));
#: placement also needs the taker fee on that part to be free. Short → 25203 "Insufficient
#: margin". Closing parts need no margin. In one-way mode the opening part of an order is what
#: exceeds the opposite position. [choice] spec §4.5.2 names ``openCostUpRatio`` only.
INSUFFICIENT_MARGIN_CODE: Final = "25203"
#: Unrealised LOSSES of crossed positions reduce what is free for new futures margin,
#: transfers into the lead account and the ``available`` of the margin coin in
#: account/assets; unrealised profits do not add to it (only realised PnL is cash). Isolated
#: positions risk only their own margin. Spot orders check the wallet's ``available`` as
#: before. [choice]
CROSS_LOSSES_REDUCE_AVAILABLE: Final = True

#: Hold-mode mistakes → 25236 "Incorrect position open type" (spec §2.4.3, §5.3): ``posSide``
#: missing in hedge mode, and ``posSide`` GIVEN in one-way mode — refused rather than
#: ignored, so a notebook that forgot a switch of mode learns it at once. ``reduceOnly`` in
#: hedge mode is ignored (spec §9 #18); hedge orders report ``reduceOnly`` ``YES`` when they
#: close (side + posSide) and ``NO`` when they open. [unverified]
WRONG_POSITION_TYPE_CODE: Final = "25236"
POS_SIDE_IN_ONE_WAY_REFUSED: Final = True

#: A close with no position to close (hedge close, one-way ``reduceOnly=yes`` with no position
#: or one on the same side) → 22002 "No position to close"; a close larger than what is left
#: to close (the position less the quantity open close orders already hold, ``frozen``) →
#: 25227 "No position available to close". spec §2.4.5, §9 #5. [unverified]
NO_POSITION_CODE: Final = "22002"
CLOSE_EXCEEDS_POSITION_CODE: Final = "25227"

#: One-way reduce-only replacement (spec §4.1.1 rule 4): when a new reduce-only order and the
#: open reduce-only orders together exceed the position, the OLDEST open ones are cancelled
#: (this ``cancelReason``) until the rest fits; the new order keeps its own ``orderId``. The
#: same trim runs whenever a position shrinks or flips, so open close orders never add up to
#: more than the position they close. [unverified]
CANCEL_REASON_REDUCE_ONLY: Final = "reduce_only_cancel"

#: Position size per side is capped by the instrument's ``maxPositionNum`` → 25230 "Quantity
#: exceeds the maximum openable". [inference] spec §4.5.2.
MAX_POSITION_CODE: Final = "25230"

#: ``marginMode`` on place-order must match the symbol's mode (set with set-leverage); a
#: different one → 25200 naming set-leverage. Switching a symbol's margin mode is refused
#: (25200) while it has a position or an open order. set-leverage outside the instrument's
#: ``minLeverage``..``maxLeverage`` → 25200 with the bounds. Per-side leverage
#: (``longLeverage``/``shortLeverage``, or ``leverage`` with ``posSide``) applies to ISOLATED
#: positions of that side; crossed positions use ``leverage``; ``leverage`` without
#: ``posSide`` sets both sides. [unverified] spec §4.4.4.
MARGIN_MODE_SWITCH_CODE: Final = "25200"
LEVERAGE_OUT_OF_BOUNDS_CODE: Final = "25200"

#: close-positions (spec §4.1.8, §5.5): first cancels the open close orders of each selected
#: position (this ``cancelReason``), then sends market close orders of at most
#: ``maxMarketOrderQty`` each (one result row per order); what the book cannot fill is
#: cancelled like any market order. No position selected → 22002 for the whole call.
#: [unverified]
CANCEL_REASON_CLOSE_POSITIONS: Final = "close_positions_cancel"

# --------------------------------------------------------------------------------------------
# Strategy (TP/SL) orders (spec §4.2, §5.4)
# --------------------------------------------------------------------------------------------

#: An opening order's attached TP/SL becomes a strategy order when the order fills (spec §5.4
#: recommendation, §9 #7): ``type=tpsl``, ``tpslMode=partial``, ``qty`` = the filled opening
#: quantity (later fills of the same order add to it while both legs are pending), one row per
#: leg. Orders cancelled without fills leave nothing. False: presets are only echoed.
#: [unverified] ("keep this behaviour switchable")
PRESET_TPSL_TO_STRATEGY: Final = True
#: ``tpOrderType``/``slOrderType`` when an order's preset omits them: ``market`` (the strategy
#: endpoint's default; place-order states none). [unverified] spec §4.1.1.
PRESET_ORDER_TYPE_DEFAULT: Final = "market"
#: Attached TP/SL go on orders that open exposure only: on a hedge close or a reduce-only
#: order they are refused (25200). [choice]
PRESETS_ON_OPENING_ORDERS_ONLY: Final = True

#: place-strategy-order needs a position on (symbol, posSide) → 25601 "Position does not
#: exist". [unverified] (V2 refuses TP/SL without a position)
NO_POSITION_FOR_TPSL_CODE: Final = "25601"
#: Strategy orders with a pending leg per position (symbol + posSide), at most; and at most
#: one pending ``full`` one. More → 25599. [unverified] spec §2.4.4 gives the code, no count.
STRATEGY_ORDERS_PER_POSITION_MAX: Final = 20
#: TP/SL price relationships: long TP above and long SL below the reference price (short
#: mirrored); the reference is the order's limit price (last for a market order) for attached
#: TP/SL, the current trigger price (mark or last, as the leg asks) for strategy orders.
#: Breaking one → 25200 with a detail: the 2557x–2565x codes exist (spec §4.2.1) but no source
#: maps them to these rules. [unverified]
TPSL_PRICE_RULE_CODE: Final = "25200"
#: A strategy ``clientOid`` is refused (25212) while used by another strategy order placed in
#: the last 6 hours. spec §4.2.1 [single].
STRATEGY_CLIENT_OID_WINDOW_MS: Final = 6 * 3_600_000
#: ``qty`` of a ``full`` row (it protects whatever the position holds). [unverified] §4.2.6
FULL_MODE_QTY: Final = "0"
#: ``type=trigger`` (generic trigger orders, NODE/GO only, spec §7 #9) is refused with 25200.
STRATEGY_TYPES_SERVED: Final = ("tpsl",)

# --------------------------------------------------------------------------------------------
# Countdown cancel (spec §4.1.9, §5.6)
# --------------------------------------------------------------------------------------------

#: ``countdown`` "5".."60" arms or re-arms (deadline = now + countdown seconds), "0" disarms,
#: anything else → 25200 (spec §4.1.9 [unverified]). At the deadline every open NORMAL order
#: of the account (every category) is cancelled with this ``cancelReason`` and the switch
#: disarms; strategy orders are left alone (spec §9 #8). [unverified]
CANCEL_REASON_COUNTDOWN: Final = "countdown_cancel"
COUNTDOWN_MIN_SECONDS: Final = 5
COUNTDOWN_MAX_SECONDS: Final = 60

# --------------------------------------------------------------------------------------------
# Copy trading, lead trader (spec §4.6)
# --------------------------------------------------------------------------------------------

#: The lead account is a separate ledger of coins beside the unified account: transfer ``in``
#: moves a coin from the unified account's free balance into it, ``out`` moves it back; it is
#: not part of account/assets. Lead trading uses the ordinary place-order (spec §4.6 note), so
#: a LEAD POSITION is a USDT-FUTURES position that opened while the lead account held USDT;
#: its margin is committed: ``maxTransferable`` (out of the lead account) = lead balance − the
#: margin of open lead positions in that coin; ``available`` = the lead balance (the GO SDK
#: describes the endpoint as "the maximum amount of a coin that can be transferred out of the
#: elite (lead) account, alongside the available balance"). Short of funds either way →
#: 25202. [choice] spec §4.6 gives shapes only.
LEAD_CATEGORY: Final = "USDT-FUTURES"
#: Lead positions a symbol allows per side and margin coin (``maxLongCount`` /
#: ``maxShortCount``); ``remaining…Count`` = that minus the open lead positions of that side.
#: [unverified]
LEAD_MAX_POSITIONS_PER_SIDE: Final = 10
#: Transfer records: newest first, ``cursor`` = the ``transferId`` of the last row of a page
#: ("" at the end: no source shows this endpoint's last page), ``limit`` default 20, max 100;
#: ``status`` is always ``Successful`` (capitalised, spec §4.6). [unverified direction]
TRANSFER_LAST_CURSOR: Final = ""
TRANSFER_LIMIT_DEFAULT: Final = 20
TRANSFER_LIMIT_MAX: Final = 100
TRANSFER_STATUS: Final = "Successful"
#: ``marginMode`` in the position summary uses ``cross``/``isolated`` (spec §4.6, §6).
COPY_MARGIN_MODES: Final = {"crossed": "cross", "isolated": "isolated"}
#: Follower lists and profit details: ``limit`` default 20, max 100 (typed-bitget and the GO
#: UTA client; spec §10.3).
COPY_PAGE_LIMIT_DEFAULT: Final = 20
COPY_PAGE_LIMIT_MAX: Final = 100

# --------------------------------------------------------------------------------------------
# Market and account data for research (spec §10.3): funding, open interest, position tiers,
# the account ledger. Sources: DOCS uta/public/Get-Current-Funding-Rate,
# …/Get-History-Funding-Rate, …/Get-Open-Interest, …/Get-Position-Tier-Data,
# DOCS uta/account/Get-Financial-Records and the uta Enumeration page (read through the mirror
# copies bitgetpro.site / bitget.vin of https://www.bitget.com/api-doc/uta/...); NODE
# bitget-api 3.2.3 (rest-client-v3, types/request|response/v3/public.ts and account.ts);
# JKorf/Bitget.Net UnitTests/Endpoints/Unified/{ExchangeData,Account}/*.txt; ccxt 4.5.90
# bitget.py (captured answers in its comments); typed-bitget 0.6.0 uta/market/* and
# uta/account/financial_records.py.
# --------------------------------------------------------------------------------------------

#: ``minFundingRate`` / ``maxFundingRate`` of current-fund-rate: the DOCS sample's ±0.003
#: (also JK's fixture and ccxt's captured answer of the same page). [single] Bitget sets the
#: bounds per symbol; the synthetic market's rate (about 0.0001) stays far inside them.
FUNDING_RATE_MIN: Final = "-0.003"
FUNDING_RATE_MAX: Final = "0.003"

#: history-fund-rate answers ``{"resultList": [...]}`` — JK's fixture (a copy of the DOCS
#: sample), ccxt's captured answer and typed-bitget agree — where NODE types a bare array
#: (``HistoryFundingRateV3[]``). [conflict] resolved for ``resultList`` (three sources to
#: one); the client reads both. Rows are ``{symbol, fundingRate, fundingRateTimestamp}``
#: newest first (typed-bitget: "most recent first"); ``cursor`` is a 1-BASED PAGE NUMBER, not
#: the id of a row (typed-bitget "1-based page index", JK sends its page number as
#: ``cursor``); no cursor comes back: a page shorter than ``limit`` is the last. [single]
#: ``limit`` default 20, max 100 are the V2 page's (contract/market/Get-History-Funding-Rate:
#: "Default: 20, maximum: 100"); no V3 source states them. [unverified]
FUNDING_HISTORY_KEY: Final = "resultList"
FUNDING_HISTORY_LIMIT_DEFAULT: Final = 20
FUNDING_HISTORY_LIMIT_MAX: Final = 100
#: (Its rate limit, 20/s per IP, is the V2 page's and JK's guard's — the V3 page read states
#: none [unverified] — and lives in the endpoint table, bitget_nb/endpoints.py.)

#: Open interest of a symbol = the synthetic market's open interest + the sizes of the
#: paper account's own open positions on it (their counterparty is the simulated market, so
#: they add to what is open). Tickers' ``openInterest`` is the same figure. [choice] The
#: DOCS define it as "the total number of unsettled or open futures", in base coin (contracts).
OPEN_INTEREST_COUNTS_OWN_POSITIONS: Final = True

#: Position tiers: the local exchange's margin model has ONE tier (see
#: :data:`MMR_SHARE_OF_MAX_LEVERAGE_IMR`), so position-tier answers one row per symbol:
#: ``tier`` 1, ``minTierValue`` 0, ``maxTierValue`` = ``maxPositionNum`` × the mark price
#: (the largest position the instrument allows, in the quote coin; whole units), ``leverage``
#: = ``maxLeverage``, ``mmr`` = the maintenance rate positions use — so the tier agrees with
#: what current-position reports. The catalogue has no tier ladder. [choice] The DOCS sample
#: shows tier 1 of BTCUSDT as 0..100000 at 125× with mmr 0.004. ``category=MARGIN`` (coin
#: tiers) answers [] (margin borrowing is not served); futures need ``symbol`` (the answer
#: has no symbol field to tell symbols apart). [unverified]
POSITION_TIER_ONLY: Final = "1"

#: Ledger (financial-records) types the paper account books (DOCS uta Enumeration, "type
#: (financial records)" and "Tax type"; a third-party project's live notes saw
#: PAPTRADING_USER_IN, ORDER_DEALT_IN / ORDER_DEALT_FROZEN_OUT, OPEN_/CLOSE_LONG/SHORT,
#: BUY_DEAL / SELL_DEAL and CONTRACT_MAIN_SETTLE_FEE_USER_IN/OUT on demo and live UTA
#: accounts). Which event gets which type is [single]/[choice]: funds of a new or reset
#: paper account are demo funds ("Demo Fund In"); one-way futures fills are BUY_DEAL /
#: SELL_DEAL ("executed in single-side mode"), hedge ones OPEN_/CLOSE_ + side.
LEDGER_SEED: Final = "PAPTRADING_USER_IN"
LEDGER_SPOT_OUT: Final = "ORDER_DEALT_FROZEN_OUT"
LEDGER_SPOT_IN: Final = "ORDER_DEALT_IN"
LEDGER_ONE_WAY: Final = {"buy": "BUY_DEAL", "sell": "SELL_DEAL"}
LEDGER_HEDGE: Final = {
    ("open", "long"): "OPEN_LONG",
    ("open", "short"): "OPEN_SHORT",
    ("close", "long"): "CLOSE_LONG",
    ("close", "short"): "CLOSE_SHORT",
}
LEDGER_FUNDING: Final = {
    ("crossed", True): "CONTRACT_MAIN_SETTLE_FEE_USER_IN",
    ("crossed", False): "CONTRACT_MAIN_SETTLE_FEE_USER_OUT",
    ("isolated", True): "FIXED_SETTLE_FEE_USER_IN",
    ("isolated", False): "FIXED_SETTLE_FEE_USER_OUT",
}
LEDGER_TRANSFER_IN: Final = "TRANSFER_IN"
LEDGER_TRANSFER_OUT: Final = "TRANSFER_OUT"
#: The ``category`` of ledger rows that belong to no trade — the initial funds and transfers
#: to and from the lead account: ``SPOT`` (the unified account's coin side; what ccxt's
#: ``fetch_ledger`` asks for by default). [unverified] the DOCS do not say which category a
#: transfer is listed under. ``category=OTHER`` (listed by the DOCS request table, in either
#: case) is accepted and has no rows here.
LEDGER_FUNDS_CATEGORY: Final = "SPOT"
LEDGER_OTHER_CATEGORY: Final = "OTHER"
#: A row's coin changes by ``amount + fee``; ``fee`` is negative when paid (DOCS sample
#: ``"fee": "-0.00000531"`` on an ORDER_DEALT_IN row; typed-bitget's live notes: "fee is
#: signed the same way as amount"); futures rows carry the realised PnL in ``amount`` (0 on
#: opening), as V2's account bills do (``open_long`` with ``amount`` 0 and the fee apart).
#: The DOCS sample supports it: ``amount`` 0.00531168 with ``fee`` -0.00000531 is a 0.1 % fee
#: of the amount itself (a fee of a gross 0.00531699 would print -0.00000532). ccxt 4.5.90's
#: ``parse_ledger_entry`` reads ``before`` as ``balance - amount``, i.e. as if the fee were in
#: the amount: against this exchange its ``before`` of a fee row is off by the fee. [single]
LEDGER_FEE_APART: Final = True
#: financial-records windows: 90-day look-back, ≤ 30 days per query (DOCS: "The access window
#: is 90 days", "must not exceed 30 days") [solid]; limit default 100, max 100 (DOCS)
#: [solid]; newest first, ``cursor`` = the id of the last row while rows are left (spec §9
#: #6) [unverified]. An empty answer is ``{"list": null, "cursor": null}`` and the last page
#: of a non-empty one has ``cursor`` "" — typed-bitget 0.6.0, "confirmed live": "null, not
#: [] … null alongside a null list on an empty page; absent or empty on the last page of a
#: non-empty result". [single] (the client reads null, "" and a missing key alike).
LEDGER_LIMIT_DEFAULT: Final = 100
LEDGER_LIMIT_MAX: Final = 100
LEDGER_LAST_CURSOR: Final = ""

# --------------------------------------------------------------------------------------------
# Fault injection (tests and demos; not exchange behaviour)
# --------------------------------------------------------------------------------------------

#: ``http_503`` faults answer HTTP 503 with code 25000 "System error" (spec §2.2 leaves 5xx
#: bodies open). [choice]
FAULT_503_CODE: Final = "25000"
#: Bounds of a fault's hold time and of injected latency, in seconds: long enough for any
#: client timeout in a test, short enough that a forgotten fault cannot hang a suite.
FAULT_HOLD_DEFAULT_SECONDS: Final = 1.0
FAULT_HOLD_MAX_SECONDS: Final = 30.0

# --------------------------------------------------------------------------------------------
# WebSocket (shared/spec/bitget-v3-ws.md, cited as WS)
# --------------------------------------------------------------------------------------------

#: The paths the WebSocket server answers on. NODE's ``wsUrl`` sends public AND private
#: traffic to one URL, so every path serves everything (WS §1.1, §10 N5); ``ex.ws_url`` names
#: the private one. Any other path is refused at the handshake (HTTP 404).
WS_PATHS: Final = ("/v3/ws/private", "/v3/ws/public", "/v3/ws")
#: Close a connection after this long without any inbound frame. [conflict] WS §1.2, §9 #2
#: (2 min without ``ping`` on the 2025-12 classic page; 30 s on older copies).
WS_IDLE_TIMEOUT_SECONDS: Final = 120.0
#: A failed login is answered with its error event and the socket is closed this long after
#: (WS §2.4 "then close the socket after ~100 ms", §9 #6). [unverified]
WS_LOGIN_FAILURE_CLOSE_SECONDS: Final = 0.1
#: Login ``timestamp`` (seconds) accepted within ±30 s of the exchange clock; ms values are
#: out of that window by construction (WS §2.1 "expires 30 seconds after", §9 #7).
WS_LOGIN_WINDOW_MS: Final = 30_000
#: With the wall clock, the server moves the market (a catch-up) this often while anything
#: is subscribed, and pushes what changed (WS §9 #24 cadences, rounded to one timer).
WS_TICK_SECONDS: Final = 0.5
#: Scheduled ``account``/``position`` pushes every 5 s (WS §5, changelog 2025-08-26), wall
#: clock only: a manual clock pushes when something changes, so runs repeat exactly.
WS_SCHEDULED_PUSH_MS: Final = 5_000
#: The first ``seq`` of a symbol's book, +1 per book change pushed; kept below 2^53 so a
#: JavaScript ``JSON.parse`` keeps it exact (WS §4.3, §9 #23).
WS_SEQ_START: Final = 1_700_000_000_000
#: Levels per side of the ``books`` channel (``maxDepth``): the deepest REST orderbook page.
WS_BOOKS_DEPTH: Final = 200
#: ``publicTrade``: the first push replays at most this many recent trades (WS §9 #18), and
#: one update carries at most the REST page's maximum (a long clock jump sends the newest).
WS_TRADES_SNAPSHOT: Final = 50
#: ``kline``: one push carries at most this many candles (a long clock jump: the newest).
WS_KLINE_MAX_PUSH: Final = 100
#: Frames waiting for one slow client before the server closes its connection (1008).
WS_OUTBOX_MAX: Final = 10_000
#: Largest inbound frame (bytes); websockets closes the connection (1009) above it.
WS_MAX_FRAME_BYTES: Final = 1_048_576
#: ``orderStatus`` on the ``order`` channel for REST's ``live`` (WS §5.3, §9 #10: DOCS-26 and
#: typed-bitget's live captures say ``new``).
WS_ORDER_STATUS: Final = {"live": "new"}
#: ``positionStatus`` on the ``position`` channel (WS §5.2: ``opening`` / ``ended``).
WS_POSITION_OPEN: Final = "opening"
#: ``cashDividend`` of a ``position`` push (WS §5.2 [single]: GO, typed-bitget — which
#: requires it): stock-token dividends, none here.
WS_CASH_DIVIDEND: Final = "0"
WS_POSITION_ENDED: Final = "ended"
