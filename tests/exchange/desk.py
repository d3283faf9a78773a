"""A venue on a manual clock with short helpers, for the trading tests that need no HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from bitget_nb.exchange.clock import ManualClock
from bitget_nb.exchange.instruments import Catalogue, Instrument
from bitget_nb.exchange.params import ExchangeError
from bitget_nb.exchange.venue import Venue

from .wire import START_MS

CATALOGUE = Catalogue.bundled()
BTC = CATALOGUE.get("SPOT", "BTCUSDT")
assert BTC is not None
PERP = CATALOGUE.get("USDT-FUTURES", "BTCUSDT")
ETH_PERP = CATALOGUE.get("USDT-FUTURES", "ETHUSDT")
INVERSE = CATALOGUE.get("COIN-FUTURES", "BTCUSD")
USDC_PERP = CATALOGUE.get("USDC-FUTURES", "BTCPERP")
assert PERP is not None and ETH_PERP is not None and INVERSE is not None
assert USDC_PERP is not None
#: Money amounts are rounded half-up to 8 decimals (defaults.FEE_DECIMALS).
Q8 = Decimal("0.00000001")


class Desk:
    """One account on a venue whose clock moves only through :meth:`advance`."""

    def __init__(
        self,
        *,
        seed: int = 7,
        start_ms: int = START_MS,
        balances: Mapping[str, str] | None = None,
    ) -> None:
        self.clock = ManualClock(start_ms)
        self.venue = Venue(clock=self.clock, seed=seed, catalogue=CATALOGUE, balances=balances)
        self.trading = self.venue.trading
        self.trader = self.venue.trader

    # -- calls --------------------------------------------------------------------------------

    def call(self, endpoint: str, params: Any) -> Any:
        return self.venue.call(endpoint, params, self.trader)

    def error(self, endpoint: str, params: Any) -> ExchangeError:
        with pytest.raises(ExchangeError) as caught:
            self.call(endpoint, params)
        return caught.value

    def submit(self, **fields: str) -> dict[str, str]:
        """place-order with SPOT BTCUSDT unless given; the ack."""
        params = {"category": "SPOT", "symbol": "BTCUSDT", **fields}
        return self.call("submit_new_order", params)

    def place(self, **fields: str) -> dict[str, Any]:
        """place-order, then the order's order-info record."""
        return self.info(self.submit(**fields)["orderId"])

    def info(self, order_id: str) -> dict[str, Any]:
        return self.call("get_order_info", {"orderId": order_id})

    def fills(self, order_id: str) -> list[dict[str, Any]]:
        return self.call("get_trade_fills", {"orderId": order_id})["list"]

    def advance(self, ms: int) -> int:
        return self.venue.advance(ms)

    # -- futures ------------------------------------------------------------------------------

    def future(self, inst: Instrument = PERP, **fields: str) -> dict[str, Any]:
        """place-order on a futures instrument (USDT-FUTURES BTCUSDT unless given); the
        order's order-info record."""
        params = {"category": inst.category, "symbol": inst.symbol, **fields}
        return self.info(self.call("submit_new_order", params)["orderId"])

    def positions(self, inst: Instrument = PERP) -> dict[str, dict[str, Any]]:
        """current-position rows of ``inst`` by posSide."""
        # no positions: "list" is null (spec §10.2)
        rows = self.call("get_current_position", {"category": inst.category})["list"] or []
        return {r["posSide"]: r for r in rows if r["symbol"] == inst.symbol}

    def position(self, side: str = "long", inst: Instrument = PERP) -> Any:
        """The domain Position of one side (or None)."""
        return self.trading.positions.get(inst.category, inst.symbol, side)

    def strategy_rows(self, category: str = "USDT-FUTURES") -> list[dict[str, Any]]:
        return self.call("get_unfilled_strategy_orders", {"category": category})

    def hedge(self) -> None:
        assert self.call("set_hold_mode", {"holdMode": "hedge_mode"}) == "success"

    def price(
        self, inst: Instrument = PERP, kind: str = "market", at: int | None = None
    ) -> Decimal:
        return self.venue.market.price(inst, self.now() if at is None else at, kind)  # type: ignore[arg-type]

    # -- market and account -------------------------------------------------------------------

    def now(self) -> int:
        return self.clock.now_ms()

    def book(
        self, inst: Instrument = BTC, at: int | None = None
    ) -> tuple[list[tuple[Decimal, Decimal]], ...]:
        """(asks, bids) of the simulated book now (or ``at``), as (price, size) Decimals,
        best first."""
        raw = self.venue.market.book(inst, self.now() if at is None else at)
        asks = [(t * inst.tick, s * inst.step) for t, s in raw.asks]
        bids = [(t * inst.tick, s * inst.step) for t, s in raw.bids]
        return asks, bids

    def available(self, coin: str) -> Decimal:
        return self.venue.account.balance(coin).available

    def locked(self, coin: str) -> Decimal:
        return self.venue.account.balance(coin).locked

    def snapshot(self) -> tuple[Any, ...]:
        """Everything an order could change: balances, orders, fills."""
        balances = {c: (b.available, b.locked) for c, b in self.venue.account.balances.items()}
        statuses = [
            (o.order_id, o.status, o.cum_exec_qty, o.reserved)
            for o in self.trading.store.newest_orders()
        ]
        return balances, statuses, self.trading.store.fill_count


def text(value: Decimal, inst: Instrument = BTC) -> str:
    """A price as the wire string of ``inst``."""
    return inst.price_text(value)


def qty(value: Decimal, inst: Instrument = BTC) -> str:
    return inst.qty_text(value)
