"""The account ledger: every change of a coin's balance, as a row (``account/financial-records``).

Each :class:`LedgerEntry` says what changed one coin of the unified account, by how much and
what the coin's balance was after it. The desks book an entry wherever a balance changes:

* the initial wallet of a new (or reset) account — ``PAPTRADING_USER_IN``, one per coin
  (what a Bitget demo account shows for its demo funds);
* a spot fill — ``ORDER_DEALT_FROZEN_OUT`` for the coin given (no fee) and
  ``ORDER_DEALT_IN`` for the coin received, with the fee (spot fees come out of the coin
  received, spec §4.1.13);
* a futures fill, one entry per position effect in the margin coin: ``amount`` is the PnL it
  realised (0 when it opens), ``fee`` the trading fee — ``OPEN_LONG`` / ``CLOSE_SHORT`` …
  in hedge mode, ``BUY_DEAL`` / ``SELL_DEAL`` in one-way mode;
* funding on a position — ``CONTRACT_MAIN_SETTLE_FEE_USER_IN`` / ``_USER_OUT`` (crossed),
  ``FIXED_SETTLE_FEE_USER_IN`` / ``_OUT`` (isolated);
* a transfer to or from the copy-trading lead account — ``TRANSFER_OUT`` / ``TRANSFER_IN``.

The type names are the DOCS' (``uta`` Enumeration page, "type (financial records)" and "Tax
type"); which one a paper event gets is :mod:`.defaults`' choice (``LEDGER_*``).

**Amounts.** ``amount`` and ``fee`` are signed changes of the coin (negative = out, a fee
paid is negative, as in the DOCS sample ``"fee": "-0.00000531"``), and a row's coin changes
by ``amount + fee``; ``balance`` is the coin's balance (available + locked) after the row. So
at every instant the entries of a coin add up to its balance — for an account whose ledger
started with it; an account migrated from a file written before the ledger existed starts
its ledger at the migration, from the balances it had then (:meth:`Ledger.start_from`).

>>> from decimal import Decimal
>>> ledger = Ledger(seed=7)
>>> row = ledger.book(category="SPOT", symbol="", coin="USDT", type="PAPTRADING_USER_IN",
...                   amount=Decimal("100"), fee=Decimal(0), at_ms=1)
>>> row = ledger.book(category="SPOT", symbol="BTCUSDT", coin="USDT",
...                   type="ORDER_DEALT_FROZEN_OUT", amount=Decimal("-60"), fee=Decimal(0),
...                   at_ms=2)
>>> row.balance, ledger.balance("USDT"), [e.type for e in ledger.newest()]
(Decimal('40'), Decimal('40'), ['ORDER_DEALT_FROZEN_OUT', 'PAPTRADING_USER_IN'])
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from . import defaults
from .orders import IdSequence, Page, Timeline

if TYPE_CHECKING:
    from .accounts import Account, Transfer
    from .instruments import Instrument
    from .orders import Fill, Order
    from .positions import Position

__all__ = ["Ledger", "LedgerArchive", "LedgerEntry"]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One row of the account ledger (spec §10.3; DOCS account/Get-Financial-Records).

    ``position_type`` / ``position_amount`` / ``position_balance``: the margin mode, size and
    margin of the futures position a trade or funding row concerns, after it (NODE's
    ``FinancialRecordV3`` and ccxt's captured answer carry them); empty / ``None`` on rows
    of no position.
    """

    entry_id: str
    category: str
    symbol: str
    coin: str
    type: str
    amount: Decimal
    fee: Decimal
    balance: Decimal
    created_ms: int
    position_type: str = ""
    position_amount: Decimal | None = None
    position_balance: Decimal | None = None


class LedgerArchive(Protocol):
    """A reopened account's ledger entries, left in its file (:mod:`.state_adapter` reads
    them from there when a page reaches them). They never change, and every entry booked
    later has a larger id."""

    @property
    def count(self) -> int: ...

    def newest(
        self,
        before: int | None,
        *,
        start: int | None,
        end: int | None,
        category: str | None,
        coin: str | None,
        type: str | None,
    ) -> Iterator[LedgerEntry]:
        """Entries newest first: ids below ``before``, times in ``[start, end]``, of the
        category, coin and type given (``None``: any)."""
        ...


class Ledger:
    """The account's ledger entries in id order (ids and times grow together), and the
    running balance of each coin they add up to. A reopened account keeps the entries it
    had in its file (:class:`LedgerArchive`); ``entries`` holds those booked since."""

    def __init__(self, *, seed: int) -> None:
        self._ids = IdSequence(seed=seed, stream="ledger")
        self.entries: list[LedgerEntry] = []
        self._line: Timeline[LedgerEntry] = Timeline()
        self._balances: dict[str, Decimal] = {}
        self._archive: LedgerArchive | None = None
        self._archived = 0

    def __len__(self) -> int:
        return self._archived + len(self.entries)

    def balance(self, coin: str) -> Decimal:
        """What the entries of ``coin`` add up to (its balance, when the ledger is whole)."""
        return self._balances.get(coin, _ZERO)

    @property
    def balances(self) -> dict[str, Decimal]:
        """The running balance of every coin the ledger has met."""
        return dict(self._balances)

    def book(
        self,
        *,
        category: str,
        symbol: str,
        coin: str,
        type: str,
        amount: Decimal,
        fee: Decimal,
        at_ms: int,
        position_type: str = "",
        position_amount: Decimal | None = None,
        position_balance: Decimal | None = None,
    ) -> LedgerEntry:
        """Record that ``coin`` changed by ``amount + fee`` at ``at_ms`` (``amount`` being
        the change without the fee); with :data:`defaults.LEDGER_FEE_APART` false the row's
        ``amount`` is the whole change, fee included."""
        if not defaults.LEDGER_FEE_APART:
            amount += fee
        after = self.balance(coin) + amount + (fee if defaults.LEDGER_FEE_APART else _ZERO)
        self._balances[coin] = after
        entry = LedgerEntry(
            entry_id=self._ids.next(),
            category=category,
            symbol=symbol,
            coin=coin,
            type=type,
            amount=amount,
            fee=fee,
            balance=after,
            created_ms=at_ms,
            position_type=position_type,
            position_amount=position_amount,
            position_balance=position_balance,
        )
        self._append(entry)
        return entry

    # -- what the desks book ---------------------------------------------------------------------

    def seed_wallet(self, account: Account, at_ms: int) -> None:
        """The initial funds of a new or reset account, one entry per coin held."""
        for coin, balance in account.balances.items():
            if balance.total:
                self.book(
                    category=defaults.LEDGER_FUNDS_CATEGORY,
                    symbol="",
                    coin=coin,
                    type=defaults.LEDGER_SEED,
                    amount=balance.total,
                    fee=_ZERO,
                    at_ms=at_ms,
                )

    def spot_fill(self, fill: Fill, inst: Instrument) -> None:
        """A spot execution: the coin given goes out, the coin received comes in less the
        fee (taken from it, spec §4.1.13)."""
        value = fill.exec_value
        if fill.side == "buy":
            given, gave, got = inst.quote_coin, value, fill.exec_qty
        else:
            given, gave, got = inst.base_coin, fill.exec_qty, value
        for coin, kind, change, fee in (
            (given, defaults.LEDGER_SPOT_OUT, -gave, _ZERO),
            (fill.fee_coin, defaults.LEDGER_SPOT_IN, got, -fill.fee),
        ):
            self.book(category=fill.category, symbol=fill.symbol, coin=coin, type=kind,
                      amount=change, fee=fee, at_ms=fill.created_ms)  # fmt: skip

    def futures_fill(self, fill: Fill, order: Order, position: Position) -> None:
        """One position effect of a futures execution: the PnL it realised and its fee, in
        the margin coin."""
        if order.hold_mode == "hedge_mode":
            kind = defaults.LEDGER_HEDGE[(fill.trade_side, fill.pos_side)]
        else:
            kind = defaults.LEDGER_ONE_WAY[fill.side]
        self.book(
            category=fill.category,
            symbol=fill.symbol,
            coin=fill.fee_coin,
            type=kind,
            amount=fill.exec_pnl,
            fee=-fill.fee,
            at_ms=fill.created_ms,
            position_type=position.margin_mode,
            position_amount=position.size,
            position_balance=position.margin,
        )

    def funding(self, position: Position, received: Decimal, at_ms: int) -> None:
        """Funding paid (``received`` < 0) or received on ``position``."""
        kind = defaults.LEDGER_FUNDING[(position.margin_mode, received >= 0)]
        self.book(
            category=position.category,
            symbol=position.symbol,
            coin=position.margin_coin,
            type=kind,
            amount=received,
            fee=_ZERO,
            at_ms=at_ms,
            position_type=position.margin_mode,
            position_amount=position.size,
            position_balance=position.margin,
        )

    def transfer(self, transfer: Transfer) -> None:
        """A transfer between the unified account and the lead account."""
        leaving = transfer.from_type == "uta"
        self.book(
            category=defaults.LEDGER_FUNDS_CATEGORY,
            symbol="",
            coin=transfer.coin,
            type=defaults.LEDGER_TRANSFER_OUT if leaving else defaults.LEDGER_TRANSFER_IN,
            amount=-transfer.amount if leaving else transfer.amount,
            fee=_ZERO,
            at_ms=transfer.created_ms,
        )

    def _append(self, entry: LedgerEntry) -> None:
        self.entries.append(entry)
        self._line.append(int(entry.entry_id), entry.created_ms, entry)

    # -- restoring ------------------------------------------------------------------------------

    def restore(
        self, archive: LedgerArchive, balances: Mapping[str, Decimal], last_id: int
    ) -> None:
        """A reopened account: its entries stay in the file (``archive``), with the running
        balances saved with them and the id sequence's position."""
        self.entries.clear()
        self._line = Timeline()
        self._archive, self._archived = archive, archive.count
        self._balances = dict(balances)
        self._ids._last = last_id

    def start_from(self, balances: Mapping[str, Decimal]) -> None:
        """Begin an empty ledger from ``balances`` (an account that had no ledger yet: the
        entries before now are not known, the balances are)."""
        self.entries.clear()
        self._line = Timeline()
        self._archive, self._archived = None, 0
        self._balances = {coin: value for coin, value in balances.items()}

    @property
    def last_id(self) -> str:
        return self._ids.last

    # -- reading --------------------------------------------------------------------------------

    def newest(
        self,
        *,
        before: int | None = None,
        start: int | None = None,
        end: int | None = None,
        category: str | None = None,
        coin: str | None = None,
        type: str | None = None,
        symbol: str | None = None,
    ) -> Iterator[LedgerEntry]:
        """Entries newest first: ids below ``before``, times in ``[start, end]``, of the
        category, coin, type and symbol given (``None``: any)."""
        for entry in self._line.newest(before=before, start=start, end=end):
            if category is not None and entry.category != category:
                continue
            if coin is not None and entry.coin != coin:
                continue
            if type is not None and entry.type != type:
                continue
            if symbol is not None and entry.symbol != symbol:
                continue
            yield entry
        if self._archive is None:
            return
        # Every archived entry is older than every entry booked since the reopening.
        for entry in self._archive.newest(
            before, start=start, end=end, category=category, coin=coin, type=type
        ):
            if symbol is None or entry.symbol == symbol:
                yield entry

    def page(self, limit: int, **filters: object) -> Page[LedgerEntry]:
        """Up to ``limit`` entries of :meth:`newest` (``filters`` are its arguments)."""
        return Page.take(self.newest(**filters), limit)  # type: ignore[arg-type]

    def since(self, position: int) -> list[LedgerEntry]:
        """The entries from the ``position``-th on, oldest first (what a command appended;
        ``position`` counts the archived entries too, and is never before their end)."""
        if position < self._archived:
            raise ValueError("the entries before the reopening are in the file")
        return self.entries[position - self._archived :]

    def all_entries(self) -> list[LedgerEntry]:
        """Every entry, oldest first, the archived ones read from the file (an export)."""
        if self._archive is None:
            return list(self.entries)
        every = dict.fromkeys(("start", "end", "category", "coin", "type"))
        archived = list(self._archive.newest(None, **every))
        return archived[::-1] + self.entries
