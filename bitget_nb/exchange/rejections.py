"""Why the domain refuses a command: :class:`Rejected` with a :class:`Reason`.

The domain says WHY (a reason and a detail a user can act on); the API layer
(:mod:`.api`) says how the wire answers it — which Bitget code, for which reason — so no
domain module knows an error code.

>>> exc = Rejected(Reason.UNKNOWN_ORDER, "no order with orderId 1")
>>> exc.reason.value, str(exc)
('unknown_order', 'unknown_order: no order with orderId 1')
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Reason", "Rejected"]


class Reason(StrEnum):
    """Every rule a command can break (the API layer maps each to a Bitget code)."""

    #: A value breaks a documented rule (a bad combination, a value out of range …).
    INVALID = "invalid"
    UNSERVED_CATEGORY = "unserved_category"
    UNKNOWN_INSTRUMENT = "unknown_instrument"
    UNKNOWN_COIN = "unknown_coin"
    UNKNOWN_ORDER = "unknown_order"
    PRICE_OFF_TICK = "price_off_tick"
    QTY_OFF_STEP = "qty_off_step"
    QTY_TOO_SMALL = "qty_too_small"
    QTY_TOO_LARGE = "qty_too_large"
    NOTIONAL_TOO_SMALL = "notional_too_small"
    QTY_BELOW_FILLED = "qty_below_filled"
    UNCHANGED = "unchanged"
    DUPLICATE_CLIENT_OID = "duplicate_client_oid"
    OPEN_ORDER_CAP = "open_order_cap"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    INSUFFICIENT_MARGIN = "insufficient_margin"
    WRONG_POSITION_TYPE = "wrong_position_type"
    NO_POSITION = "no_position"
    CLOSE_EXCEEDS_POSITION = "close_exceeds_position"
    MAX_POSITION = "max_position"
    MARGIN_MODE_SWITCH = "margin_mode_switch"
    EXPOSURE_BLOCKS_HOLD_MODE = "exposure_blocks_hold_mode"
    TPSL_PRICE_RULE = "tpsl_price_rule"
    NO_POSITION_FOR_TPSL = "no_position_for_tpsl"
    STRATEGY_ROOM = "strategy_room"


class Rejected(Exception):
    """A command the domain refuses; nothing changed. ``detail`` says which rule, in words a
    user can act on."""

    def __init__(self, reason: Reason, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason.value}: {detail}")


def invalid(detail: str) -> Rejected:
    """A value that breaks a rule (:attr:`Reason.INVALID`)."""
    return Rejected(Reason.INVALID, detail)
