"""The venue: the paper exchange behind the wire protocol, one operation per endpoint.

It owns what the exchange is built from — the clock, the instrument catalogue, the market
(:class:`~.marketdata.MarketData`, the seeded synthetic market unless one is given), the fee
model (:class:`~.fees.FeeModel`) and the event bus (:mod:`.events`) — and the state of one
paper account (:class:`VenueState`: the domain core, :class:`~.core.Core`). It never imports
HTTP: :meth:`Venue.call` takes an endpoint name, a plain mapping of parameters (a GET query
or a decoded JSON body) and the authenticated caller, runs the API layer's handler for that
endpoint (:mod:`.api`) under one lock, and returns the ``data`` of the envelope or raises
:class:`~bitget_nb.exchange.params.ExchangeError`.

>>> from bitget_nb.exchange.clock import ManualClock
>>> venue = Venue(clock=ManualClock(1_748_736_000_000), seed=7)
>>> venue.call("get_server_time", {})
{'serverTime': '1748736000000'}
>>> venue.call("get_tickers", {"category": "spot", "symbol": "BTCUSDT"})[0]["category"]
'SPOT'

Private operations take the :class:`Caller` of a key; :attr:`Venue.trader` is the read-write
one, so benches can seed thousands of orders without HTTP:

>>> venue.call("get_unfilled_orders", {}, venue.trader)
{'list': [], 'cursor': None}

The domain state is plain objects a test may read directly: ``venue.account`` (balances,
settings), ``venue.trading`` (the core: ``.store`` orders and fills, ``.positions`` open and
closed futures positions, ``.strategies`` TP/SL orders, ``.countdown`` the dead man's switch)
and ``venue.lead`` (the copy-trading lead account). ``venue.subscribe`` follows every change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from . import defaults
from .accounts import Account, ApiKey
from .api import Caller, Operation, operations
from .clock import Clock
from .copytrading import LeadDesk
from .core import Core
from .events import Event, EventBus
from .fees import CatalogueFees, FeeModel
from .instruments import Catalogue
from .market import MarketProcess
from .marketdata import MarketData
from .orders import Archive
from .params import ExchangeError
from .records import amount

__all__ = ["Caller", "CommandLog", "Operation", "Venue", "VenueState", "amount"]


@dataclass(slots=True)
class VenueState:
    """Everything of a venue that changes: the account (balances, settings, keys), the domain
    core (orders, fills, books, positions, strategy orders, countdown, id sequences) and the
    copy-trading lead desk (the core's, named apart). The rest — clock, catalogue, market,
    fee model, event bus — is given."""

    account: Account
    trading: Core
    lead: LeadDesk


class CommandLog(Protocol):
    """A persistent venue's command log (:class:`~.persistence.Journal`): it runs every
    call and ``advance`` at one instant, logs it and commits, under the venue's lock."""

    def call(
        self, endpoint: str, operation: Operation, params: Any, caller: Caller | None
    ) -> Any: ...

    def advance(self, ms: int) -> int: ...

    def reset(self) -> None: ...


class Venue:
    """The paper exchange's state and behaviour behind the wire protocol.

    Thread-safe: :meth:`call` runs every operation under one lock. ``market`` defaults to
    the seeded synthetic market (:class:`~.market.MarketProcess` of ``seed``), ``fees`` to
    the catalogue's rates.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        seed: int = 7,
        catalogue: Catalogue | None = None,
        keys: list[ApiKey] | None = None,
        balances: Mapping[str, str | Decimal | int] | None = None,
        uid: str | None = None,
        market: MarketData | None = None,
        fees: FeeModel | None = None,
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.catalogue = catalogue or Catalogue.bundled()
        #: The market the venue asks for prices, books, trades and candles.
        self.market: MarketData = (
            market if market is not None else MarketProcess(seed=seed, catalogue=self.catalogue)
        )
        #: The one place fee rates are read.
        self.fees: FeeModel = fees if fees is not None else CatalogueFees()
        #: Subscribers of the domain events (they outlive a reset).
        self.events = EventBus()
        if clock.now_ms() < self.market.epoch_ms:
            start = (
                self.catalogue.market.epoch
                if isinstance(self.market, MarketProcess)
                else f"{self.market.epoch_ms} ms"
            )
            kind = "simulated market" if isinstance(self.market, MarketProcess) else "market"
            raise ValueError(
                f"the clock ({clock.now_ms()} ms) is before the {kind}'s start ({start})"
            )
        keys = keys if keys is not None else [ApiKey.generate(), ApiKey.generate(read_only=True)]
        #: The wallet a new account starts with, and a reset one starts over with (``None``:
        #: :data:`~.accounts.DEFAULT_BALANCES`).
        self.initial_balances = dict(balances) if balances is not None else None
        self.lock = threading.RLock()
        #: The command log of a persistent exchange: when set, every call and ``advance`` goes
        #: through it; ``None`` in memory.
        self.journal: CommandLog | None = None
        self.install(self.new_state(keys=keys, uid=uid))

    # -- state --------------------------------------------------------------------------------

    def new_state(
        self, *, keys: list[ApiKey], uid: str | None = None, archive: Archive | None = None
    ) -> VenueState:
        """A funded account with no orders, registered now, with ``keys`` (and ``uid``);
        with an ``archive``, the closed orders and fills a reopened account keeps in its
        file."""
        account = Account.open(
            catalogue=self.catalogue,
            registered_ms=self.clock.now_ms(),
            keys=keys,
            balances=self.initial_balances,
            uid=uid,
        )
        core = Core(
            catalogue=self.catalogue,
            market=self.market,
            fees=self.fees,
            account=account,
            clock=self.clock,
            bus=self.events,
            seed=self.seed,
            archive=archive,
        )
        return VenueState(account=account, trading=core, lead=core.lead)

    @property
    def state(self) -> VenueState:
        """Everything that changes, in one object (what a snapshot saves)."""
        return VenueState(account=self.account, trading=self.trading, lead=self.lead)

    def install(self, state: VenueState) -> None:
        """Make ``state`` the venue's account and core (a new, reset or restored one). No
        events are published for it: a subscriber that keeps state reads it afresh."""
        #: Balances, settings and keys (spec §4.4).
        self.account = state.account
        #: The domain core: orders, fills, books, positions, strategies, countdown.
        self.trading = state.trading
        #: The copy-trading lead account and its ledger (spec §4.6).
        self.lead = state.lead
        self.trading.notifier.mark()
        self._keys = {k.api_key: Caller(self.account, k) for k in self.account.keys}
        # Endpoint name (bitget_nb.endpoints) → operation. An endpoint of the table that is
        # missing here is "not implemented yet" (the HTTP front answers 404 for it).
        self._operations: dict[str, Operation] = operations(self.trading)

    def reset(self) -> None:
        """Start the account over: the initial balances, no orders, fills, positions, strategy
        orders or transfers, default settings; the same uid and keys; registered now (time
        never moves back). A persistent exchange wipes its file the same way."""
        with self.lock:
            if self.journal is not None:
                self.journal.reset()
                return
            self.install(self.new_state(keys=list(self.account.keys), uid=self.account.uid))

    def subscribe(self, subscriber: Callable[[Event], None]) -> Callable[[], None]:
        """Follow every domain event from now on (:mod:`.events`); returns the unsubscribe.
        Events arrive synchronously, inside the venue's lock."""
        with self.lock:
            self.trading.notifier.mark()
            return self.events.subscribe(subscriber)

    # -- plumbing -----------------------------------------------------------------------------

    def implements(self, endpoint: str) -> bool:
        """Whether this version of the exchange serves the endpoint named ``endpoint``."""
        return endpoint in self._operations

    def call(self, endpoint: str, params: Any, caller: Caller | None = None) -> Any:
        """Run the operation of ``endpoint`` and return the envelope's ``data``.

        ``params`` is a mapping of wire fields (a list for batch endpoints). Resting orders
        first catch up with the market up to now (:meth:`.core.Core.catch_up`). A persistent
        venue logs the call and commits before returning (:class:`CommandLog`).
        """
        if endpoint not in self._operations:
            raise ExchangeError(defaults.NOT_FOUND_CODE, defaults.NOT_IMPLEMENTED_MSG, 404)
        with self.lock:
            # Looked up under the lock: a reset installs a new core and operations.
            operation = self._operations[endpoint]
            if self.journal is not None:
                return self.journal.call(endpoint, operation, params, caller)
            self.trading.catch_up(self.clock.now_ms())
            return operation(params, caller)

    def operation(self, endpoint: str) -> Operation:
        """The operation behind ``endpoint`` (for a replay, which runs it at a logged time)."""
        return self._operations[endpoint]

    def find_key(self, api_key: str) -> Caller | None:
        """The account and key behind ``api_key``, if the exchange issued it."""
        return self._keys.get(api_key)

    @property
    def trader(self) -> Caller:
        """The caller of the account's first read-write key (for direct :meth:`call`)."""
        for caller in self._keys.values():
            if not caller.key.read_only:
                return caller
        raise RuntimeError("the account has no read-write key")

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def advance(self, ms: int) -> int:
        """Move the clock forward by ``ms``, fill what the market reached, return the time."""
        with self.lock:
            if self.journal is not None:
                return self.journal.advance(ms)
            now = self.clock.advance(ms)
            self.trading.catch_up(now)
            return now
