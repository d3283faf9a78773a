"""BitgetClient's endpoint methods: one per row of the endpoint table, one per alias, and
``round_order`` — each made by :mod:`bitget_nb._signatures` from its row.

What a method does beyond the call itself (safety, caching, paging) is said here, next to the
list, and becomes a paragraph of its docstring; everything else in the docstring comes from
the row. Static tools read ``_api.pyi``, the rendering of :data:`METHODS`.
"""

from __future__ import annotations

from ._signatures import MethodSpec, endpoint_spec, make_method, round_order_spec
from .endpoints import ENDPOINTS

__all__ = ["METHODS", "EndpointMethods"]

_NOT_RESENT = (
    "If the answer is lost, it is never sent again: the order is looked up until its outcome "
    "is known or the settle window has passed, and then OutcomeUnknownError names it "
    "(docs/reliability.md)."
)

#: The client's paragraphs per method.
_CANDLE_RANGE = (
    "Given startTime, the whole range comes back, up to endTime or now: the part candles "
    "still serves for the interval from there, older bars back to 90 days from "
    "history-candles (the same for both methods; bitget_nb.candles decides), paged under "
    "the rate limit, sorted and de-duplicated. A startTime older than the API serves is "
    "refused, naming the earliest. Bars missing inside the range are listed in "
    ".attrs['gaps'] and warned about once (CandleGapWarning); .attrs['server_time'] is the "
    "exchange's time when the download began. One get_server_time request comes first. "
    "Without startTime: one page, the newest limit bars up to endTime.",
)

_NOTES: dict[str, tuple[str, ...]] = {
    "get_candles": _CANDLE_RANGE,
    "get_history_candles": _CANDLE_RANGE,
    "get_instruments": (
        "The rows are also remembered: later orders on these symbols are checked against their "
        "tick size, lot step and minimums before anything is sent.",
    ),
    "submit_new_order": (
        "The order is validated first, and checked against its instrument when the client "
        "knows it (see get_instruments); a clientOid is generated when none is given. "
        + _NOT_RESENT
        + " The Series has orderId and clientOid; .attrs['reconciled'] says whether it was "
        "settled by a look-up.",
    ),
    "place_batch_orders": (
        "Orders go out in chunks of at most 20, one category per chunk, as the API requires; "
        "every item is validated and gets a clientOid. One row comes back per input, in input "
        "order, so partial failures show at a glance. Items whose outcome stays unknown after "
        "the settle window raise OutcomeUnknownError naming each clientOid; its .results frame "
        "has every row (later chunks unsent).",
    ),
    "modify_order": ("A lost answer is settled like a placement's: " + _NOT_RESENT,),
    "batch_modify_orders": ("Chunks of at most 20 items of one category; one row per input.",),
    "cancel_order": ("An order found cancelled already counts as cancelled.",),
    "cancel_batch_orders": ("Chunks of at most 20 items of one category; one row per input.",),
    "cancel_all_orders": (
        "One row per affected order. A lost answer is settled by the open orders, never sent "
        "again: once none is left it has succeeded, .attrs['reconciled'] is true and the rows "
        "are not known.",
    ),
    "close_all_positions": (
        "One row per close order. A lost answer is settled by the positions, like "
        "cancel_all_orders.",
    ),
    "countdown_cancel_all": (
        "Arms, re-arms or (with 0) disarms the exchange's dead man's switch: if no new call "
        "comes within countdown seconds, every open order is cancelled. "
        "client.dead_mans_switch() is a heartbeat that does this for you.",
    ),
    "set_hold_mode": ("The client remembers the mode and checks futures orders against it.",),
    "set_leverage": (
        "Futures need category, symbol and leverage; isolated hedge positions may take "
        "longLeverage / shortLeverage instead. MARGIN takes coin.",
    ),
    "submit_strategy_order": (
        "Futures only; posSide names the position protected; give takeProfit and/or stopLoss. "
        "A clientOid is generated when none is given. " + _NOT_RESENT,
    ),
    "modify_strategy_order": ("A lost answer is settled by looking the order up.",),
    "cancel_strategy_order": (
        "Bitget's sources differ on the answer's body, so the Series is built from the request.",
    ),
    "copy_futures_transfer": (
        "A transfer carries no id of ours, so a lost answer is raised as OutcomeUnknownError "
        "(check get_copy_futures_transfer_records()), never sent again.",
    ),
    "get_trade_fills": (
        "feeDetail is flattened into fee and feeCoin (the raw list stays in feeDetail).",
    ),
    "get_history_funding_rate": (
        "Give startTime (e.g. a month ago): without it every page since the perpetual listed "
        "is read. startTime and endTime are applied by the client — the endpoint has no time "
        "filter — and pages of 100 are asked unless limit says otherwise.",
    ),
    "get_open_interest": (
        "Each row carries the answer's ts, so readings taken over time concatenate into one "
        "time series.",
    ),
    "get_financial_records": (
        "One row per change of a coin's balance: amount + fee is the change (a fee paid is "
        "negative), balance the coin's balance after it; futures rows carry the realised PnL "
        "in amount. Ask each category you trade: transfers and initial funds are under SPOT.",
    ),
    "get_all_fee_rates": (
        "One row per symbol of the category, with the rates get_fee_rate gives one symbol at a "
        "time; on the local exchange they come from its fee model.",
    ),
    "get_max_transferable": (
        "The unified account's own figure: maxTransfer without borrowing, borrowMaxTransfer "
        "with automatic borrowing (the same on the local exchange, which lends nothing). "
        "get_copy_futures_max_transferable gives the lead account's (copy trading).",
    ),
    "get_copy_futures_current_followers": (
        "On the local exchange nobody can follow the lead account: an empty frame with the "
        "columns.",
    ),
    "get_copy_futures_history_followers": ("On the local exchange: none.",),
    "get_copy_futures_profit_details": ("On the local exchange: none.",),
    "round_order": (
        "Takes the same inputs as submit_new_order and sends nothing (the instrument's rules "
        "are fetched once). The price goes to the nearest tick and the qty down by default, so "
        "an order never grows.",
    ),
}


def _specs() -> tuple[MethodSpec, ...]:
    specs = []
    for ep in ENDPOINTS.values():
        notes = _NOTES.get(ep.name, ())
        specs.append(endpoint_spec(ep, notes=notes))
        for alias in ep.aliases:
            specs.append(
                endpoint_spec(ep, name=alias, notes=(f"The Node SDK's other name of {ep.name}.",))
            )
    specs.append(round_order_spec(_NOTES["round_order"]))
    return tuple(specs)


#: Every endpoint method, in the table's order, each alias after its endpoint.
METHODS: tuple[MethodSpec, ...] = _specs()


class EndpointMethods:
    """The endpoint methods of :class:`~bitget_nb.BitgetClient`, made from the table; each
    hands its call to the client's ``_call``."""

    __slots__ = ()


for _spec in METHODS:
    setattr(EndpointMethods, _spec.name, make_method(_spec))
