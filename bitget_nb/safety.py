"""Safe writes: a write that may have reached the exchange is never blindly sent again.

Every order carries a ``clientOid``. When the answer to a write is lost or says "state
unknown" — a timeout, a dropped connection, HTTP 5xx, or codes 40010 / 40725 / 45001 / 25001
(spec §2.4.2) — the order is looked up by its ``clientOid`` first:

* found → the exchange has it: its answer is rebuilt from the order, nothing is re-sent;
* absent → re-sent, with the same ``clientOid`` (bounded);
* the lookup itself fails → :class:`~bitget_nb.errors.OutcomeUnknownError` naming the
  ``clientOid``, so the caller knows exactly what to check.

Cancels and modifies are reconciled the same way: a cancel whose order turns out to be
cancelled is a success; a modify whose order already shows the new price and quantity is a
success. A write refused before processing (connection refused, HTTP 429) is re-sent after a
pause, since nothing can have changed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from .endpoints import ENDPOINTS
from .errors import (
    BitgetError,
    DuplicateClientOidError,
    OrderNotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    TimestampExpiredError,
    TransportError,
)
from .transport import Transport

__all__ = ["OrderWriter", "uncertain"]

logger = logging.getLogger(__name__)

_UNKNOWN_ITEM_CODES = frozenset({"40010", "40725", "45001", "25001", "25000"})


def uncertain(exc: BaseException) -> bool:
    """Whether a failed write may nevertheless have taken effect."""
    if isinstance(exc, TransportError):
        return exc.maybe_sent
    return isinstance(exc, OutcomeUnknownError | ServerError)


def _refused_unprocessed(exc: BaseException) -> bool:
    """Whether the write was certainly refused before processing (safe to send again):
    connection refused, 429, or a timestamp outside the window (40008 is checked before the
    request is handled, spec §1.7 — the transport resyncs once; a second jump lands here)."""
    if isinstance(exc, TransportError):
        return not exc.maybe_sent
    return isinstance(exc, RateLimitError | TimestampExpiredError)


def _ack(order: Mapping[str, Any]) -> dict[str, Any]:
    return {"orderId": str(order.get("orderId", "")), "clientOid": str(order.get("clientOid", ""))}


def _envelope(data: Any) -> dict[str, Any]:
    """A success envelope rebuilt from what the exchange holds (marked as reconciled)."""
    return {"code": "00000", "msg": "success", "requestTime": None, "data": data,
            "reconciled": True}  # fmt: skip


def _same_number(a: Any, b: Any) -> bool:
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except ArithmeticError:
        return False


class OrderWriter:
    """The write half of the client, with the reconciliation rules of this module."""

    def __init__(
        self,
        transport: Transport,
        *,
        max_resends: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        pause: float = 0.25,
    ) -> None:
        self.transport = transport
        self.max_resends = max_resends
        self._sleep = sleep
        self._pause = pause

    # -- lookups ------------------------------------------------------------------------------
    def lookup(self, *, client_oid: str | None = None, order_id: str | None = None) -> Any:
        """The exchange's record of an order (open or closed), or ``None`` if it has none.

        Raises :class:`OutcomeUnknownError` naming the order when the lookup cannot answer.
        """
        params = {"orderId": order_id} if order_id else {"clientOid": client_oid}
        try:
            return self.transport.call(ENDPOINTS["get_order_info"], params)["data"]
        except OrderNotFoundError:
            return None
        except BitgetError as exc:
            raise OutcomeUnknownError(
                None,
                f"the write's answer was lost and looking the order up failed too ({exc})",
                client_oid=client_oid or order_id,
            ) from exc

    def _wait(self, exc: BaseException, attempt: int) -> None:
        if isinstance(exc, RateLimitError) and exc.retry_after is not None:
            self._sleep(exc.retry_after)
        else:
            self._sleep(self._pause * (2**attempt))

    # -- place --------------------------------------------------------------------------------
    def place(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``place-order`` with reconciliation by ``clientOid``; returns the envelope."""
        return self._place("submit_new_order", payload, lambda oid: self.lookup(client_oid=oid))

    def _place(
        self, name: str, payload: Mapping[str, Any], lookup: Callable[[str], Any]
    ) -> dict[str, Any]:
        """Send a new order; on an unknown outcome ``lookup`` its ``clientOid`` and re-send
        only when it is absent."""
        oid = str(payload["clientOid"])
        endpoint = ENDPOINTS[name]
        last: BaseException | None = None
        for attempt in range(self.max_resends + 1):
            try:
                return self.transport.call(endpoint, payload)
            except DuplicateClientOidError:
                if attempt == 0:
                    raise  # the caller's own duplicate, not one of our re-sends
                found = lookup(oid)
                if found is None:
                    raise
                return _envelope(_ack(found))
            except (BitgetError, TransportError) as exc:
                if _refused_unprocessed(exc):
                    last = exc
                elif uncertain(exc):
                    logger.debug("%s %s: %s; looking it up", name, oid, type(exc).__name__)
                    found = lookup(oid)
                    if found is not None:
                        return _envelope(_ack(found))
                    last = exc
                else:
                    raise
            if attempt < self.max_resends:
                self._wait(last, attempt)
        raise _absent(last, oid, self.max_resends + 1)

    def place_batch(self, payloads: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """``place-batch`` (≤ 20 items) with per-item reconciliation; items in input order."""
        endpoint = ENDPOINTS["place_batch_orders"]
        results: list[dict[str, Any] | None] = [None] * len(payloads)
        pending = list(range(len(payloads)))
        last: BaseException | None = None
        for attempt in range(self.max_resends + 1):
            body = [payloads[i] for i in pending]
            try:
                items = list(self.transport.call(endpoint, body)["data"] or [])
            except (BitgetError, TransportError) as exc:
                if not (uncertain(exc) or _refused_unprocessed(exc)):
                    raise
                last, items = exc, [None] * len(pending)
            retry: list[int] = []
            for index, item in zip(pending, items, strict=False):
                oid = str(payloads[index]["clientOid"])
                code = str(item.get("code") or "") if item else "?"
                if item and code in ("", "00000"):
                    results[index] = dict(item)
                    continue
                if item and code == "25212" and attempt == 0:
                    results[index] = dict(item)  # the caller's own duplicate
                    continue
                if item and code not in _UNKNOWN_ITEM_CODES and code != "25212":
                    results[index] = dict(item)  # refused for a reason of its own
                    continue
                found = self.lookup(client_oid=oid)
                if found is not None:
                    results[index] = {**_ack(found), "code": "", "msg": "", "reconciled": True}
                else:
                    retry.append(index)
                    if item:
                        results[index] = dict(item)
            pending = retry
            if not pending:
                break
            if attempt < self.max_resends:
                self._wait(last or ServerError(None, "item outcome unknown"), attempt)
        for index in pending:
            if results[index] is None:
                oid = str(payloads[index]["clientOid"])
                results[index] = {
                    "orderId": "",
                    "clientOid": oid,
                    "code": getattr(last, "code", None) or "45001",
                    "msg": f"not placed after {self.max_resends + 1} attempts: {last}",
                }
        return [r or {} for r in results]

    # -- cancel / modify -----------------------------------------------------------------------
    def cancel(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``cancel-order``; an order found already cancelled counts as cancelled."""
        return self._settle(
            "cancel_order", payload, lambda o: o.get("orderStatus") == "cancelled", "cancelled"
        )

    def modify(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``modify-order``; an order found with the new price and quantity is modified."""
        return self._settle("modify_order", payload, lambda o: _shows_change(o, payload),
                            "modified")  # fmt: skip

    def cancel_strategy(self, payload: Mapping[str, Any], category: str) -> dict[str, Any]:
        """``cancel-strategy-order``; one found cancelled counts as cancelled."""
        return self._settle(
            "cancel_strategy_order",
            payload,
            lambda o: o.get("status") == "cancelled",
            "cancelled",
            lambda **ids: self.lookup_strategy(category=category, **ids),
        )

    def modify_strategy(self, payload: Mapping[str, Any], category: str) -> dict[str, Any]:
        """``modify-strategy-order``; one found showing the new values counts as modified."""
        return self._settle(
            "modify_strategy_order",
            payload,
            lambda o: _shows_change(o, payload, ("qty", "takeProfit", "stopLoss")),
            "modified",
            lambda **ids: self.lookup_strategy(category=category, **ids),
        )

    def _settle(
        self,
        name: str,
        payload: Mapping[str, Any],
        done: Callable[[Mapping[str, Any]], bool],
        verb: str,
        lookup: Callable[..., Any] | None = None,
    ) -> dict[str, Any]:
        """Send a write on an existing order; when its outcome is unknown, look the order up
        and decide with ``done`` whether the write has taken effect."""
        endpoint = ENDPOINTS[name]
        ids = _ids(payload)
        lookup = lookup or self.lookup
        last: BaseException | None = None
        for attempt in range(self.max_resends + 1):
            try:
                return self.transport.call(endpoint, payload)
            except OrderNotFoundError:
                # "no such open order" may mean the write already happened (a second cancel)
                found = lookup(**ids)
                if found is not None and done(found):
                    return _envelope(_ack(found))
                raise
            except (BitgetError, TransportError) as exc:
                if not (uncertain(exc) or _refused_unprocessed(exc)):
                    raise
                last = exc
                if uncertain(exc):
                    found = lookup(**ids)
                    if found is None:
                        raise OrderNotFoundError(
                            "25204", "Order does not exist", endpoint=endpoint.path
                        ) from exc
                    if done(found):
                        return _envelope(_ack(found))
                    status = found.get("orderStatus") or found.get("status")
                    if status in ("filled", "cancelled", "success", "failed"):
                        raise OrderNotFoundError(
                            "25204",
                            f"order {found.get('orderId')} is {status}; it was not {verb}",
                            endpoint=endpoint.path,
                        ) from exc
            if attempt < self.max_resends:
                self._wait(last, attempt)
        raise _unsettled(last, ids)

    def per_item(
        self, name: str, payloads: Sequence[Mapping[str, Any]], single: Callable[..., Any]
    ) -> list[dict[str, Any]]:
        """A batch cancel / modify; items whose outcome is unknown are settled one by one
        with ``single`` (the reconciling single-order write)."""
        endpoint = ENDPOINTS[name]
        try:
            items = list(self.transport.call(endpoint, list(payloads))["data"] or [])
        except (BitgetError, TransportError) as exc:
            if not (uncertain(exc) or _refused_unprocessed(exc)):
                raise
            items = [None] * len(payloads)
        results = []
        for payload, item in zip(payloads, items, strict=False):
            code = str(item.get("code") or "") if item else "?"
            if item and code not in _UNKNOWN_ITEM_CODES:
                results.append(dict(item))
                continue
            try:
                data = single(payload)["data"] or {}
                results.append({**_ack(data), "code": "", "msg": ""})
            except BitgetError as exc:
                # a failed item must never read as ok: an error without a code (an unknown
                # outcome after connection failures) gets the unknown-outcome code
                results.append({**_ids_row(payload), "code": getattr(exc, "code", None) or "45001",
                                "msg": str(exc)})  # fmt: skip
        return results

    def idempotent(self, name: str, payload: Any) -> dict[str, Any]:
        """A write that may safely happen twice (cancel-all, close-all, set-leverage,
        set-hold-mode, the countdown): an unknown outcome is simply sent again."""
        endpoint = ENDPOINTS[name]
        last: BaseException | None = None
        for attempt in range(self.max_resends + 1):
            try:
                return self.transport.call(endpoint, payload)
            except (BitgetError, TransportError) as exc:
                if not (uncertain(exc) or _refused_unprocessed(exc)):
                    raise
                last = exc
            if attempt < self.max_resends:
                self._wait(last, attempt)
        raise _unsettled(last, {"client_oid": None, "order_id": None})

    def once(self, name: str, payload: Any, *, check: str) -> dict[str, Any]:
        """A write with no id to look it up by (a copy-trading transfer): re-sent only when
        certainly refused before processing; an unknown outcome is raised, saying where to
        ``check``."""
        endpoint = ENDPOINTS[name]
        last: BaseException | None = None
        for attempt in range(self.max_resends + 1):
            try:
                return self.transport.call(endpoint, payload)
            except (BitgetError, TransportError) as exc:
                if uncertain(exc):
                    raise OutcomeUnknownError(
                        getattr(exc, "code", None),
                        f"{name}: the answer was lost and this write carries no id to look it "
                        f"up by; check {check} before sending it again ({exc})",
                        endpoint=endpoint.path,
                    ) from exc
                if not _refused_unprocessed(exc):
                    raise
                last = exc
            if attempt < self.max_resends:
                self._wait(last, attempt)
        raise last  # type: ignore[misc]

    # -- strategy (TP/SL) orders --------------------------------------------------------------
    def lookup_strategy(
        self, *, category: str, client_oid: str | None = None, order_id: str | None = None
    ) -> Any:
        """A strategy order by id, among the open ones and then the latest history page."""
        want = ("orderId", order_id) if order_id else ("clientOid", client_oid)
        try:
            rows = list(
                self.transport.call(
                    ENDPOINTS["get_unfilled_strategy_orders"], {"category": category}
                )["data"]
                or []
            )
            if not any(str(r.get(want[0])) == str(want[1]) for r in rows):
                page = (
                    self.transport.call(
                        ENDPOINTS["get_history_strategy_orders"], {"category": category}
                    )["data"]
                    or {}
                )
                rows += list(page.get("list") or [])
        except BitgetError as exc:
            raise OutcomeUnknownError(
                None,
                f"the write's answer was lost and looking the strategy order up failed too ({exc})",
                client_oid=client_oid or order_id,
            ) from exc
        return next((r for r in rows if str(r.get(want[0])) == str(want[1])), None)

    def place_strategy(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``place-strategy-order`` with reconciliation by ``clientOid`` (spec §4.2.1)."""
        category = str(payload["category"])
        return self._place(
            "submit_strategy_order",
            payload,
            lambda oid: self.lookup_strategy(category=category, client_oid=oid),
        )


def _ids(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {"order_id": payload.get("orderId"), "client_oid": payload.get("clientOid")}


def _ids_row(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {"orderId": payload.get("orderId") or "", "clientOid": payload.get("clientOid") or ""}


def _shows_change(
    order: Mapping[str, Any],
    payload: Mapping[str, Any],
    fields: tuple[str, ...] = ("price", "qty"),
) -> bool:
    wanted = {k: payload[k] for k in fields if payload.get(k) is not None}
    return bool(wanted) and all(_same_number(order.get(k), v) for k, v in wanted.items())


def _absent(last: BaseException | None, oid: str, attempts: int) -> BaseException:
    """The error once every attempt failed and the order was absent at each lookup.

    A refusal that certainly happened before processing (connection refused, 429) means the
    order is not placed: that error is raised as it is. After an uncertain failure (timeout,
    dropped connection, 5xx, unknown-outcome code) a late arrival of the last attempt cannot
    be excluded, so the outcome stays unknown and the error names the ``clientOid``.
    """
    if last is not None and _refused_unprocessed(last):
        return last
    return OutcomeUnknownError(
        getattr(last, "code", None),
        f"{attempts} attempts failed (last: {last}); the order was absent at every lookup, "
        "but the last attempt may still arrive — look it up before placing it again",
        client_oid=oid,
        endpoint=getattr(last, "endpoint", None),
    )


def _unsettled(last: BaseException | None, ids: Mapping[str, Any]) -> BaseException:
    who = ids.get("client_oid") or ids.get("order_id")
    return OutcomeUnknownError(
        getattr(last, "code", None), f"gave up after repeated failures ({last})", client_oid=who
    )
