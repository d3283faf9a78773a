"""The domain core of one paper account: its state and the desks that change it, wired.

:class:`Core` is the composition root — it builds each desk with the narrow collaborators
it needs and holds nothing else. Desks depend on the state stores (orders, positions,
strategy orders) and on each other only through small interfaces:

* :class:`~.entry.OrderEntry` (order entry) tells a :class:`~.entry.FillListener` — the
  :class:`~.futures.FuturesDesk` — what a futures fill did; the futures desk tells its
  :class:`~.futures.Protection` — the :class:`~.strategies.StrategyDesk` — about attached
  TP/SL and closed positions;
* :class:`~.scheduler.CatchUp` (scheduling) drives time: resting fills through order
  entry, TP/SL triggers (strategies say what to send, order entry sends it), funding, the
  countdown (:class:`~.countdown.CountdownDesk`, which cancels through order entry);
* :class:`~.queries.OrderQueries` answers the read endpoints from the store's indexes;
* :class:`~.copytrading.LeadDesk` keeps the lead account, and is the futures desk's
  :class:`~.futures.LeadPolicy`.

What the core is built FROM — catalogue, market (:class:`~.marketdata.MarketData`), fee
model (:class:`~.fees.FeeModel`), clock and event bus — is given, and not part of the saved
state. A few accessors keep the names tests and tools reached for before the split
(``store``, ``positions``, ``futures``, ``strategies``, ``countdown``, ``fees_paid``,
``free``, ``reserved_by_coin``, ``settlement``, ``catch_up``).
"""

from __future__ import annotations

from decimal import Decimal

from .accounts import Account, Countdown
from .agenda import Agenda, SecondGrid
from .clock import Clock
from .copytrading import LeadDesk
from .countdown import CountdownDesk
from .entry import OrderEntry
from .events import EventBus, Notifier
from .fees import FeeModel
from .futures import FuturesDesk, PositionRules
from .instruments import Catalogue
from .ledger import Ledger
from .marketdata import MarketData
from .matching import Books
from .orders import Archive, OrderStore
from .positions import PositionBook
from .queries import OrderQueries
from .scheduler import CatchUp
from .settlement import Settlement, Settlements
from .strategies import StrategyDesk
from .triggers import StrategyBook

__all__ = ["Core"]

_ZERO = Decimal(0)


class Core:
    """One account's state and desks (see the module docstring)."""

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        market: MarketData,
        fees: FeeModel,
        account: Account,
        clock: Clock,
        bus: EventBus,
        seed: int,
        archive: Archive | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.market = market
        self.fees = fees
        self.account = account
        self.clock = clock
        self.notifier = notifier = Notifier(bus, account)
        grid = SecondGrid(market.epoch_ms)
        agenda = Agenda()
        #: Orders and fills (spec §4.1) — with the ``archive`` of a reopened account's
        #: history — and the open and closed futures positions (§4.3).
        self.store = store = OrderStore(archive)
        self.positions = positions = PositionBook(seed=seed)
        self.strategy_book = book = StrategyBook(seed=seed)
        #: The dead man's switch (spec §4.1.9).
        self.countdown = Countdown()
        #: Every change of a coin's balance, as a row (account/financial-records): the
        #: account's initial funds first.
        self.ledger = ledger = Ledger(seed=seed)
        ledger.seed_wallet(account, account.registered_ms)
        self.books = books = Books(market)
        self.settlements = settlements = Settlements(
            account,
            positions=positions,
            market=market,
            clock=clock,
            catalogue=catalogue,
            fees=fees,
        )
        self.rules = rules = PositionRules(account, positions, store)
        #: TP/SL strategy orders (spec §4.2).
        self.strategies = strategies = StrategyDesk(
            account=account,
            book=book,
            positions=positions,
            rules=rules,
            market=market,
            catalogue=catalogue,
            clock=clock,
            grid=grid,
            agenda=agenda,
            notifier=notifier,
        )
        #: The copy-trading lead account (spec §4.6).
        self.lead = lead = LeadDesk(
            account=account,
            positions=positions,
            settlements=settlements,
            catalogue=catalogue,
            clock=clock,
            notifier=notifier,
            seed=seed,
            ledger=ledger,
        )
        #: Position bookkeeping, funding, valuation and leverage (spec §4.3, §4.4.4, §5.3).
        self.futures = futures = FuturesDesk(
            account=account,
            positions=positions,
            store=store,
            rules=rules,
            settlements=settlements,
            market=market,
            catalogue=catalogue,
            clock=clock,
            notifier=notifier,
            lead=lead,
            protection=strategies,
            ledger=ledger,
        )
        #: Placing, modifying and cancelling orders, and their fills (spec §4.1).
        self.entry = entry = OrderEntry(
            account=account,
            catalogue=catalogue,
            market=market,
            fees=fees,
            clock=clock,
            store=store,
            positions=positions,
            books=books,
            settlements=settlements,
            rules=rules,
            strategy_book=book,
            listener=futures,
            agenda=agenda,
            grid=grid,
            notifier=notifier,
            seed=seed,
            ledger=ledger,
        )
        self.queries = OrderQueries(store)
        self.countdown_desk = countdown = CountdownDesk(
            self.countdown, store=store, canceller=entry, notifier=notifier
        )
        self.scheduler = CatchUp(
            market=market,
            grid=grid,
            books=books,
            entry=entry,
            strategies=strategies,
            futures=futures,
            countdown=countdown,
            agenda=agenda,
            notifier=notifier,
            now_ms=clock.now_ms(),
        )

    # -- time ---------------------------------------------------------------------------------

    def catch_up(self, now: int) -> bool:
        """Replay what happened up to ``now`` (:meth:`.scheduler.CatchUp.catch_up`), then
        announce the balances it changed; whether anything was due."""
        due = self.scheduler.catch_up(now)
        self.notifier.balances(now)
        return due

    # -- accessors ----------------------------------------------------------------------------

    @property
    def fees_paid(self) -> dict[str, Decimal]:
        """Fees paid since the start, per coin (positive = paid)."""
        return self.entry.fees_paid

    def settlement(self, category: str) -> Settlement:
        """The settlement of ``category`` (refused for categories not served)."""
        return self.settlements.of(category)

    def free(self, coin: str) -> Decimal:
        """What of ``coin`` is free for new margin or a transfer."""
        return self.settlements.free(coin)

    def reserved_by_coin(self) -> dict[str, Decimal]:
        """What the open orders and the positions hold locked, per coin (equals each
        balance's ``locked``)."""
        out: dict[str, Decimal] = {}
        for order in self.store.open_orders():
            out[order.reserve_coin] = out.get(order.reserve_coin, _ZERO) + order.reserved
        for position in self.positions.open_positions():
            coin = position.margin_coin
            out[coin] = out.get(coin, _ZERO) + position.margin
        return out
