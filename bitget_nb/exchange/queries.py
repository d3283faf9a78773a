"""Order and fill queries (spec §4.1.10–§4.1.13): the domain side of the read endpoints.

:class:`OrderQueries` finds orders by id or clientOid and pages the open orders, the order
history and the fills newest first. Pages come from the store's time and symbol indexes
(:class:`~.orders.Timeline`), so a page of an old window or of one symbol costs what a page
of the newest rows costs, however long the account's history.
"""

from __future__ import annotations

from collections.abc import Iterator

from .commands import HistoryQuery, OpenOrdersQuery, OrderRef
from .orders import Fill, Order, OrderStore, Page
from .rejections import Reason, Rejected

__all__ = ["OrderQueries"]


class OrderQueries:
    """Read-only questions about the orders and fills of one account."""

    def __init__(self, store: OrderStore) -> None:
        self.store = store

    def find(self, ref: OrderRef) -> Order:
        """The order ``ref`` names; refused when unknown or when its category / symbol do
        not match."""
        if ref.order_id is not None:
            order = self.store.get(ref.order_id.strip())
        else:
            assert ref.client_oid is not None
            order = self.store.by_client_oid(ref.client_oid)
        if (
            order is None
            or (ref.category is not None and ref.category != order.category)
            or (ref.symbol is not None and ref.symbol != order.symbol)
        ):
            raise Rejected(Reason.UNKNOWN_ORDER, f"no order with {ref.named}")
        return order

    def find_open(self, ref: OrderRef) -> Order:
        """The open order ``ref`` names; refused when it is closed."""
        order = self.find(ref)
        if not order.is_open:
            raise Rejected(Reason.UNKNOWN_ORDER, f"order {order.order_id} is {order.status}")
        return order

    def open_orders(self, query: OpenOrdersQuery) -> Page[Order]:
        """Open orders newest first (spec §4.1.11)."""
        rows = [
            o
            for o in self.store.open_orders(query.category, query.symbol)
            if (query.before is None or int(o.order_id) < query.before)
            and (query.start is None or o.created_ms >= query.start)
            and (query.end is None or o.created_ms <= query.end)
        ]
        rows.reverse()
        return Page.take(rows, query.limit)

    def history(self, query: HistoryQuery) -> Page[Order]:
        """Terminal orders newest first in the window (spec §4.1.12)."""
        if query.order_id is not None:
            # One order at most: look it up rather than page through the window.
            found = self.store.get(query.order_id)
            candidates: Iterator[Order] = iter(
                [found]
                if found is not None
                and (query.before is None or int(found.order_id) < query.before)
                and query.start <= found.created_ms <= query.end
                and (query.category is None or found.category == query.category)
                and (query.symbol is None or found.symbol == query.symbol)
                else []
            )
        else:
            candidates = self.store.newest_orders(
                query.before,
                category=query.category,
                symbol=query.symbol,
                start=query.start,
                end=query.end,
            )
        # Open orders are skipped: at most the open-order caps of them.
        return Page.take((o for o in candidates if not o.is_open), query.limit)

    def fills(self, query: HistoryQuery) -> Page[Fill]:
        """Own executions newest first in the window (spec §4.1.13)."""
        return Page.take(self._fills(query), query.limit)

    def _fills(self, query: HistoryQuery) -> Iterator[Fill]:
        if query.order_id is None:
            yield from self.store.newest_fills(
                query.before,
                category=query.category,
                symbol=query.symbol,
                start=query.start,
                end=query.end,
            )
            return
        # The fills of one order: few, so they are filtered here.
        for fill in reversed(self.store.fills_of(query.order_id)):
            if (
                (query.before is None or int(fill.exec_id) < query.before)
                and query.start <= fill.created_ms <= query.end
                and (query.category is None or fill.category == query.category)
                and (query.symbol is None or fill.symbol == query.symbol)
            ):
                yield fill
