"""Copy trading for a lead trader (spec §4.6): a lead-account ledger, transfers between it and
the unified account, and the lead positions.

The model (:data:`defaults.LEAD_CATEGORY` and around): the lead account is a ledger of coins
beside the unified account. A transfer ``in`` moves a coin from the unified account's free
balance into it, ``out`` moves it back (25202 when short either way). Lead trading uses the
ordinary place-order; a USDT-FUTURES position that opens while the lead account holds USDT is
a LEAD POSITION — it shows in the position summary, uses up the symbol's lead-position counts,
and commits its margin: ``maxTransferable`` = lead balance − committed margin.

>>> from bitget_nb.exchange.clock import ManualClock
>>> from bitget_nb.exchange.venue import Venue
>>> venue = Venue(clock=ManualClock(1_748_736_000_000), seed=7)
>>> ack = venue.call("copy_futures_transfer", {"type": "in", "coin": "USDT", "amount": "250"},
...     venue.trader)
>>> venue.lead.balance("USDT"), venue.account.balance("USDT").available
(Decimal('250'), Decimal('99750'))
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import defaults
from . import params as p
from .accounts import Account
from .clock import Clock
from .orders import IdSequence
from .params import ExchangeError
from .positions import Position, money
from .records import amount, cursor, page

if TYPE_CHECKING:
    from .trading import Trading

__all__ = ["LeadDesk", "Transfer"]

_ZERO = Decimal(0)
#: Transfer amounts: positive, at most 8 decimals (money precision, spec §4.0 strings).
_PLACES = 8


@dataclass(frozen=True, slots=True)
class Transfer:
    """One transfer between the unified account (``uta``) and the lead account (``lead``)."""

    transfer_id: str
    from_type: str
    to_type: str
    coin: str
    amount: Decimal
    created_ms: int


class LeadDesk:
    """The lead-account ledger, its transfers and the copy-trading endpoints."""

    def __init__(self, *, account: Account, trading: Trading, clock: Clock, seed: int) -> None:
        self.account = account
        self.trading = trading
        self.clock = clock
        #: Lead-account balances per coin.
        self.balances: dict[str, Decimal] = {}
        self.transfers: list[Transfer] = []
        self._transfer_ids: list[int] = []
        self._ids = IdSequence(seed=seed, stream="transfer")
        trading.lead_check = self.funds

    # -- ledger -------------------------------------------------------------------------------

    def balance(self, coin: str) -> Decimal:
        """The lead account's balance of ``coin``."""
        return self.balances.get(coin, _ZERO)

    def funds(self, position: Position) -> bool:
        """Whether a position opening now is a lead position (see the module docstring)."""
        return (
            position.category == defaults.LEAD_CATEGORY and self.balance(position.margin_coin) > 0
        )

    def positions(self) -> list[Position]:
        """Open lead positions, oldest first."""
        return [
            pos
            for pos in self.trading.futures.positions.open_positions(defaults.LEAD_CATEGORY)
            if pos.lead
        ]

    def committed(self, coin: str) -> Decimal:
        """Margin of the open lead positions in ``coin``."""
        return sum((pos.margin for pos in self.positions() if pos.margin_coin == coin), _ZERO)

    def max_transferable(self, coin: str) -> Decimal:
        """What may leave the lead account now: its balance less committed margin."""
        return max(_ZERO, self.balance(coin) - self.committed(coin))

    # -- endpoints ----------------------------------------------------------------------------

    def trading_pairs_op(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """``trading-pairs``: a bare array, one entry per lead symbol (spec §4.6)."""
        cap = defaults.LEAD_MAX_POSITIONS_PER_SIDE
        open_lead = self.positions()
        out = []
        for inst in self.trading.catalogue.in_category(defaults.LEAD_CATEGORY):
            config = self.account.symbol_configs[(inst.category, inst.symbol)]
            used = {
                side: sum(
                    1 for pos in open_lead if (pos.symbol, pos.pos_side) == (inst.symbol, side)
                )
                for side in ("long", "short")
            }
            out.append(
                {
                    "symbol": inst.symbol,
                    "leverage": str(config.leverage),
                    "marginDetails": [
                        {
                            "marginCoin": inst.quote_coin,
                            "maxLongCount": str(cap),
                            "remainingLongCount": str(max(0, cap - used["long"])),
                            "maxShortCount": str(cap),
                            "remainingShortCount": str(max(0, cap - used["short"])),
                        }
                    ],
                }
            )
        return out

    def position_summary_op(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """``position-summary``: a bare array of the open lead positions (spec §4.6; ``holdSide``
        and ``cross``/``isolated``)."""
        now = self.clock.now_ms()
        out = []
        for pos in self.positions():
            row = self.trading.futures.row(pos, now)
            margin = pos.margin
            inst = self.trading.instrument(pos.category, pos.symbol)
            value = pos.size * Decimal(row["markPrice"])
            unrealised = Decimal(row["unrealisedPnl"])
            out.append(
                {
                    "symbol": pos.symbol,
                    "holdSide": pos.pos_side,
                    "holdSize": inst.qty_text(pos.size),
                    "avgPrice": row["avgPrice"],
                    "markPrice": row["markPrice"],
                    "liqPrice": row["liquidationPrice"],
                    "leverage": row["leverage"],
                    "marginMode": defaults.COPY_MARGIN_MODES[pos.margin_mode],
                    "margin": amount(margin),
                    "positionValue": amount(value),
                    "unrealizedPnl": amount(unrealised),
                    "realizedPnl": amount(pos.realised),
                    "roi": amount(money(unrealised / margin) if margin else _ZERO),
                }
            )
        return out

    def _coin(self, params: Mapping[str, Any]) -> str:
        coin = p.required_text(params, "coin").strip().upper()
        if coin not in self.trading.catalogue.coins():
            raise ExchangeError("25201", detail=coin)
        return coin

    def max_transferable_op(self, params: Mapping[str, Any]) -> dict[str, str]:
        """``max-transferable``: ``{maxTransferable, available}`` of the lead account."""
        coin = self._coin(params)
        return {
            "maxTransferable": amount(self.max_transferable(coin)),
            "available": amount(self.balance(coin)),
        }

    def transfer_op(self, params: Mapping[str, Any]) -> dict[str, str]:
        """``transfer``: move ``amount`` of ``coin`` ``in`` to or ``out`` of the lead account;
        ``{transferId}``."""
        kind = p.choice(params, "type", ("in", "out"))
        if kind is None:
            raise p.bad("type is required: in (into the lead account) or out")
        coin = self._coin(params)
        value = p.decimal(params, "amount", required=True)
        assert value is not None
        if -value.normalize().as_tuple().exponent > _PLACES:  # type: ignore[operator]
            raise p.bad(f"amount may have at most {_PLACES} decimals")
        balance = self.account.balance(coin)
        if kind == "in":
            free = min(balance.available, self.trading.free(coin))
            if value > free:
                raise ExchangeError(
                    "25202",
                    detail=f"{_text(value)} {coin} to move in, {_text(max(free, _ZERO))} "
                    "is free in the unified account",
                )
            balance.available -= value
            self.balances[coin] = self.balance(coin) + value
            route = ("uta", "lead")
        else:
            room = self.max_transferable(coin)
            if value > room:
                raise ExchangeError(
                    "25202",
                    detail=f"{_text(value)} {coin} to move out, {_text(room)} may leave "
                    f"the lead account ({_text(self.committed(coin))} is margin of lead positions)",
                )
            self.balances[coin] = self.balance(coin) - value
            balance.available += value
            route = ("lead", "uta")
        transfer = Transfer(
            transfer_id=self._ids.next(),
            from_type=route[0],
            to_type=route[1],
            coin=coin,
            amount=value,
            created_ms=self.clock.now_ms(),
        )
        self.transfers.append(transfer)
        self._transfer_ids.append(int(transfer.transfer_id))
        return {"transferId": transfer.transfer_id}

    def transfer_records_op(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``transfer-record``: newest first, ``{list, cursor}`` (spec §4.6,
        :data:`defaults.TRANSFER_LIMIT_DEFAULT`)."""
        start = p.timestamp_ms(params, "startTime")
        end = p.timestamp_ms(params, "endTime")
        if start is not None and end is not None and end < start:
            raise p.bad("endTime must not be before startTime")
        limit = p.limit(
            params, default=defaults.TRANSFER_LIMIT_DEFAULT, maximum=defaults.TRANSFER_LIMIT_MAX
        )
        before = cursor(params)

        def rows() -> Iterator[Transfer]:
            stop = len(self._transfer_ids)
            if before is not None:
                stop = bisect.bisect_left(self._transfer_ids, before)
            for i in range(stop - 1, -1, -1):
                transfer = self.transfers[i]
                if (start is None or transfer.created_ms >= start) and (
                    end is None or transfer.created_ms <= end
                ):
                    yield transfer

        return page(rows(), limit=limit, key=lambda t: t.transfer_id, record=_transfer_record)


def _transfer_record(transfer: Transfer) -> dict[str, str]:
    return {
        "transferId": transfer.transfer_id,
        "fromType": transfer.from_type,
        "toType": transfer.to_type,
        "amount": amount(transfer.amount),
        "coin": transfer.coin,
        "status": defaults.TRANSFER_STATUS,
        "createdTime": str(transfer.created_ms),
    }


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"
