"""Copy trading for a lead trader (spec §4.6): a lead-account ledger, transfers between it and
the unified account, and the lead positions.

The model (:data:`defaults.LEAD_CATEGORY` and around): the lead account is a ledger of coins
beside the unified account. A transfer ``in`` moves a coin from the unified account's free
balance into it, ``out`` moves it back (refused when short either way). Lead trading uses the
ordinary place-order; a USDT-FUTURES position that opens while the lead account holds USDT is
a LEAD POSITION (:meth:`LeadDesk.funds`, which the futures desk asks) — it shows in the
position summary, uses up the symbol's lead-position counts, and commits its margin:
``maxTransferable`` = lead balance − committed margin.

>>> from bitget_nb.exchange.clock import ManualClock
>>> from bitget_nb.exchange.venue import Venue
>>> venue = Venue(clock=ManualClock(1_748_736_000_000), seed=7)
>>> ack = venue.call("copy_futures_transfer", {"type": "in", "coin": "USDT", "amount": "250"},
...     venue.trader)
>>> venue.lead.balance("USDT"), venue.account.balance("USDT").available
(Decimal('250'), Decimal('99750'))
"""

from __future__ import annotations

from decimal import Decimal

from . import defaults
from .accounts import Account, Transfer
from .clock import Clock
from .events import Notifier
from .instruments import Catalogue
from .ledger import Ledger
from .orders import IdSequence, Page, Timeline
from .positions import Position, PositionBook
from .rejections import Reason, Rejected
from .settlement import Settlements

__all__ = ["LeadDesk", "Transfer"]

_ZERO = Decimal(0)


class LeadDesk:
    """The lead-account ledger and its transfers."""

    def __init__(
        self,
        *,
        account: Account,
        positions: PositionBook,
        settlements: Settlements,
        catalogue: Catalogue,
        clock: Clock,
        notifier: Notifier,
        seed: int,
        ledger: Ledger,
    ) -> None:
        self.account = account
        self.ledger = ledger
        self.positions_book = positions
        self.settlements = settlements
        self.catalogue = catalogue
        self.clock = clock
        self.notifier = notifier
        #: Lead-account balances per coin.
        self.balances: dict[str, Decimal] = {}
        self.transfers: list[Transfer] = []
        self._line: Timeline[Transfer] = Timeline()
        self._ids = IdSequence(seed=seed, stream="transfer")

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
            pos for pos in self.positions_book.open_positions(defaults.LEAD_CATEGORY) if pos.lead
        ]

    def committed(self, coin: str) -> Decimal:
        """Margin of the open lead positions in ``coin``."""
        return sum((pos.margin for pos in self.positions() if pos.margin_coin == coin), _ZERO)

    def max_transferable(self, coin: str) -> Decimal:
        """What may leave the lead account now: its balance less committed margin."""
        return max(_ZERO, self.balance(coin) - self.committed(coin))

    def coin(self, name: str) -> str:
        """``name`` as a coin of the catalogue (refused otherwise)."""
        coin = name.strip().upper()
        if coin not in self.catalogue.coins():
            raise Rejected(Reason.UNKNOWN_COIN, coin)
        return coin

    # -- transfers ----------------------------------------------------------------------------

    def transfer(self, kind: str, coin: str, value: Decimal) -> Transfer:
        """Move ``value`` of ``coin`` ``in`` to or ``out`` of the lead account."""
        balance = self.account.balance(coin)
        if kind == "in":
            free = min(balance.available, self.settlements.free(coin))
            if value > free:
                raise Rejected(
                    Reason.INSUFFICIENT_BALANCE,
                    f"{_text(value)} {coin} to move in, {_text(max(free, _ZERO))} "
                    "is free in the unified account",
                )
            balance.available -= value
            self.balances[coin] = self.balance(coin) + value
            route = ("uta", "lead")
        else:
            room = self.max_transferable(coin)
            if value > room:
                raise Rejected(
                    Reason.INSUFFICIENT_BALANCE,
                    f"{_text(value)} {coin} to move out, {_text(room)} may leave "
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
        self.ledger.transfer(transfer)
        self._line.append(int(transfer.transfer_id), transfer.created_ms, transfer)
        self.notifier.transfer(transfer, self.balance(coin))
        self.notifier.balances(transfer.created_ms)
        return transfer

    def records(
        self, *, start: int | None, end: int | None, before: int | None, limit: int
    ) -> Page[Transfer]:
        """Transfers newest first, below the id ``before``, made in ``[start, end]``."""
        return Page.take(self._line.newest(before=before, start=start, end=end), limit)


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"
