"""Safe writes: a write that may have reached the exchange is never sent again.

``clientOid`` is unique only while the first order is open (spec §5.7, §10.5): a market, IOC
or FOK order — or a limit that filled — is no longer open when a re-send arrives, and an
original still in flight can be processed *after* the client gave up on it and after a
look-up found nothing. So "absent, so re-send" can execute an order twice. The rules here:

* **Re-sent** only when the earlier attempt certainly did not reach the exchange: the
  connection was refused or never made, or the exchange answered with a refusal that proves
  nothing was done (HTTP 429 / 25004, 40008 after the transport's clock resync). Bounded by
  ``max_resends``, with backoff that honours ``Retry-After``.
* **Looked up, never re-sent** after any ambiguous outcome — a read timeout after sending, a
  dropped or cut answer, HTTP 5xx, or an "outcome unknown" code (40010, 40725, 45001, 25001,
  25000; :data:`~bitget_nb.errors.OUTCOME_UNKNOWN_CODES`): the order is looked up by its
  ``clientOid`` (or ``orderId``) again and again, with growing pauses, until its outcome is
  known or the **settle window** has passed (``settle_window``, default 30 s from the
  moment the answer was lost; ``BitgetClient(settle_window=...)``). Then
  :class:`~bitget_nb.errors.OutcomeUnknownError` names every ``clientOid`` still unknown
  (``.client_oids``; for a batch ``.results`` holds every item's row).
* **Raised as it is**: any other refusal (balance, parameters, authentication, a redirect).

What "known" means per write: a placement is known once the exchange has the order (its
answer is rebuilt from the order and marked ``reconciled``); a cancel once the order shows
``cancelled`` (or is closed otherwise: then it was not cancelled); a modify once the order
shows the new price and quantity (or is closed); cancel-all and close-all once nothing of
their scope is left open. A copy-trading transfer carries no id to look it up by, so its lost
answer is raised at once, saying where to check.

Writes that set a value — leverage, hold mode, the countdown of the dead man's switch — are
the exception: sending one twice leaves the same state as sending it once, so an ambiguous
outcome is simply sent again (:meth:`OrderWriter.idempotent`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from .endpoints import ENDPOINTS
from .errors import (
    OUTCOME_UNKNOWN_CODES,
    BitgetError,
    DuplicateClientOidError,
    OrderNotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    RedirectError,
    ServerError,
    TimestampExpiredError,
    TransportError,
)
from .paging import page_rows
from .transport import Transport

__all__ = ["OrderWriter", "refused_unprocessed", "uncertain"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Statuses after which an order can no longer be cancelled or modified.
_CLOSED = frozenset({"filled", "cancelled", "success", "failed"})


def uncertain(exc: BaseException) -> bool:
    """Whether a failed write may nevertheless have taken effect (its outcome is unknown)."""
    if isinstance(exc, TransportError):
        return exc.maybe_sent
    if isinstance(exc, OutcomeUnknownError | ServerError):
        return True
    return getattr(exc, "code", None) in OUTCOME_UNKNOWN_CODES


def refused_unprocessed(exc: BaseException) -> bool:
    """Whether the write was certainly refused before processing, so that sending it again is
    safe and may succeed: no connection was made, HTTP 429, or a timestamp outside the window
    (40008 is checked before the request is handled, spec §1.7 — the transport resyncs once;
    a second jump lands here). A redirect is refused too, but sending it again is pointless."""
    if isinstance(exc, RedirectError):
        return False
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


def _code(item: Mapping[str, Any] | None) -> str:
    return str(item.get("code") or "") if item else ""


class OrderWriter:
    """The write half of the client, with the rules of this module.

    ``sleep`` and ``clock`` (monotonic seconds) are injectable. The settle window ends when
    either the clock or the sum of the pauses asked of ``sleep`` reaches ``settle_window``,
    so a test's no-op ``sleep`` still ends it after a bounded number of look-ups.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        max_resends: int = 3,
        settle_window: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        pause: float = 0.25,
        max_pause: float = 2.0,
    ) -> None:
        if settle_window < 0:
            raise ValueError(f"settle_window must be ≥ 0 seconds, got {settle_window}")
        self.transport = transport
        self.max_resends = max_resends
        self.settle_window = settle_window
        self._sleep = sleep
        self._clock = clock
        self._pause = pause
        self._max_pause = max_pause

    # -- the two primitives: send (re-sending only certain refusals), and settle --------------
    def _send(self, name: str, payload: Any) -> tuple[dict[str, Any] | None, BitgetError | None]:
        """Send ``payload`` to endpoint ``name``: ``(envelope, None)`` on success,
        ``(None, error)`` when the outcome is unknown; any certain refusal is raised (after
        the bounded re-sends of those that may pass next time)."""
        endpoint = ENDPOINTS[name]
        for attempt in range(self.max_resends + 1):
            try:
                return self.transport.call(endpoint, payload), None
            except DuplicateClientOidError as exc:
                if attempt == 0:
                    raise  # the caller's own duplicate, not one of our re-sends
                return None, exc  # an earlier attempt did arrive after all: settle it
            except BitgetError as exc:
                if uncertain(exc):
                    logger.debug("%s: %s; settling by look-up", name, type(exc).__name__)
                    return None, exc
                if not refused_unprocessed(exc) or attempt == self.max_resends:
                    raise
                self._wait(exc, attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _settle(self, probe: Callable[[], T | None]) -> T | None:
        """Call ``probe`` until it returns a verdict (not ``None``) or the settle window has
        passed (then ``None``). A probe that fails (its read failed) counts as no verdict."""
        start = self._clock()
        slept = 0.0
        pause = self._pause
        while True:
            try:
                verdict = probe()
            except BitgetError as exc:
                logger.debug("look-up failed while settling: %s", type(exc).__name__)
                verdict = None
            if verdict is not None:
                return verdict
            elapsed = max(self._clock() - start, slept)
            if elapsed >= self.settle_window:
                return None
            wait = min(pause, self.settle_window - elapsed)
            self._sleep(wait)
            slept += wait
            pause = min(pause * 2, self._max_pause)

    def _unknown(
        self,
        exc: BaseException | None,
        who: Sequence[str],
        *,
        endpoint: str,
        results: Any = None,
        what: str = "",
    ) -> OutcomeUnknownError:
        names = ", ".join(who) if who else "none"
        return OutcomeUnknownError(
            getattr(exc, "code", None),
            f"{what or 'the write'}: outcome unknown after {exc}; looking it up for "
            f"{self.settle_window:g} s did not settle it, and it may still take effect. Look "
            f"up {names} before sending it again",
            client_oids=who,
            results=results,
            endpoint=endpoint,
        )

    def _send_batch(
        self,
        name: str,
        payloads: Sequence[Mapping[str, Any]],
        blank: Callable[[Mapping[str, Any]], dict[str, Any]],
    ) -> tuple[BitgetError | None, list[dict[str, Any]], list[int]]:
        """Send a batch once: (the ambiguous error if any, a row per item — the exchange's,
        or ``blank(payload)`` where it gave none — and the indexes whose outcome is unknown:
        no row, or a row with an "outcome unknown" code)."""
        envelope, exc = self._send(name, list(payloads))
        items = list((envelope or {}).get("data") or [])
        results: list[dict[str, Any]] = []
        pending: list[int] = []
        for index, payload in enumerate(payloads):
            item = items[index] if index < len(items) and isinstance(items[index], dict) else None
            if item is None or _code(item) in OUTCOME_UNKNOWN_CODES:
                pending.append(index)
            results.append(dict(item) if item else blank(payload))
        return exc, results, pending

    def _wait(self, exc: BaseException, attempt: int) -> None:
        if isinstance(exc, RateLimitError) and exc.retry_after is not None:
            self._sleep(exc.retry_after)
        else:
            self._sleep(self._pause * (2**attempt))

    # -- look-ups -----------------------------------------------------------------------------
    def lookup(self, *, client_oid: str | None = None, order_id: str | None = None) -> Any:
        """The exchange's record of an order (open or closed), or ``None`` if it has none.

        A failed read raises its :class:`~bitget_nb.errors.BitgetError`."""
        params = {"orderId": order_id} if order_id else {"clientOid": client_oid}
        try:
            return self.transport.call(ENDPOINTS["get_order_info"], params)["data"]
        except OrderNotFoundError:
            return None

    def lookup_strategy(
        self, *, category: str, client_oid: str | None = None, order_id: str | None = None
    ) -> Any:
        """A strategy order by id, among the open ones and then the latest history page."""
        want = ("orderId", order_id) if order_id else ("clientOid", client_oid)
        rows = list(
            self.transport.call(ENDPOINTS["get_unfilled_strategy_orders"], {"category": category})[
                "data"
            ]
            or []
        )
        if not any(str(r.get(want[0])) == str(want[1]) for r in rows):
            page = self.transport.call(
                ENDPOINTS["get_history_strategy_orders"], {"category": category}
            )["data"]
            rows += page_rows(page)
        return next((r for r in rows if str(r.get(want[0])) == str(want[1])), None)

    # -- placements ---------------------------------------------------------------------------
    def place(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``place-order``, settled by ``clientOid`` when the answer is lost."""
        return self._place("submit_new_order", payload, lambda oid: self.lookup(client_oid=oid))

    def place_strategy(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``place-strategy-order``, settled by ``clientOid`` (spec §4.2.1)."""
        category = str(payload["category"])
        return self._place(
            "submit_strategy_order",
            payload,
            lambda oid: self.lookup_strategy(category=category, client_oid=oid),
        )

    def _place(
        self, name: str, payload: Mapping[str, Any], lookup: Callable[[str], Any]
    ) -> dict[str, Any]:
        oid = str(payload["clientOid"])
        envelope, exc = self._send(name, payload)
        if envelope is not None:
            return envelope
        found = self._settle(lambda: lookup(oid))
        if found is not None:
            return _envelope(_ack(found))
        raise self._unknown(exc, [oid], endpoint=ENDPOINTS[name].path, what=f"order {oid}")

    def place_batch(self, payloads: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """``place-batch`` (≤ 20 items); per-item results in input order.

        Items whose outcome is unknown (the whole answer lost, or an item with an "outcome
        unknown" code) are settled by ``clientOid`` together; any still unknown at the end of
        the settle window raise :class:`OutcomeUnknownError` naming each, with ``.results``.
        """
        endpoint = ENDPOINTS["place_batch_orders"]
        exc, results, pending = self._send_batch(
            "place_batch_orders", payloads, lambda p: {"clientOid": str(p["clientOid"])}
        )

        def probe() -> bool | None:
            for index in list(pending):
                found = self.lookup(client_oid=str(payloads[index]["clientOid"]))
                if found is not None:
                    results[index] = {**_ack(found), "code": "", "msg": "", "reconciled": True}
                    pending.remove(index)
            return True if not pending else None

        if pending:
            self._settle(probe)
        if pending:
            oids = [str(payloads[i]["clientOid"]) for i in pending]
            for index in pending:
                code = _code(results[index]) or getattr(exc, "code", None) or "45001"
                results[index] = {"orderId": "", "clientOid": str(payloads[index]["clientOid"]),
                                  "code": code, "msg": "outcome unknown"}  # fmt: skip
            raise self._unknown(exc, oids, endpoint=endpoint.path, results=results,
                                what=f"{len(oids)} of {len(payloads)} batch orders")  # fmt: skip
        return results

    # -- cancel / modify ----------------------------------------------------------------------
    def cancel(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``cancel-order``; an order found already cancelled counts as cancelled."""
        return self._on_order("cancel_order", payload, _is_cancelled, "cancelled")

    def modify(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``modify-order``; an order found with the new price and quantity is modified."""
        return self._on_order("modify_order", payload, lambda o: _shows_change(o, payload),
                              "modified")  # fmt: skip

    def cancel_strategy(self, payload: Mapping[str, Any], category: str) -> dict[str, Any]:
        """``cancel-strategy-order``; one found cancelled counts as cancelled."""
        return self._on_order(
            "cancel_strategy_order",
            payload,
            lambda o: o.get("status") == "cancelled",
            "cancelled",
            lambda **ids: self.lookup_strategy(category=category, **ids),
        )

    def modify_strategy(self, payload: Mapping[str, Any], category: str) -> dict[str, Any]:
        """``modify-strategy-order``; one found showing the new values counts as modified."""
        return self._on_order(
            "modify_strategy_order",
            payload,
            lambda o: _shows_change(o, payload, ("qty", "takeProfit", "stopLoss")),
            "modified",
            lambda **ids: self.lookup_strategy(category=category, **ids),
        )

    def _on_order(
        self,
        name: str,
        payload: Mapping[str, Any],
        done: Callable[[Mapping[str, Any]], bool],
        verb: str,
        lookup: Callable[..., Any] | None = None,
    ) -> dict[str, Any]:
        """A write on an existing order; when its outcome is unknown, the order is looked up
        until ``done`` says the write took effect or the order is closed."""
        endpoint = ENDPOINTS[name]
        ids = _ids(payload)
        lookup = lookup or self.lookup
        try:
            envelope, exc = self._send(name, payload)
        except OrderNotFoundError:
            # "no such open order" may mean the write already happened (a second cancel);
            # if the look-up fails, the exchange's own refusal is still the true answer
            try:
                found = lookup(**ids)
            except BitgetError:
                found = None
            if found is not None and done(found):
                return _envelope(_ack(found))
            raise
        if envelope is not None:
            return envelope
        verdict = self._settle(lambda: _verdict(lookup(**ids), done))
        who = str(ids.get("client_oid") or ids.get("order_id") or "")
        if verdict is None:
            raise self._unknown(exc, [who], endpoint=endpoint.path, what=f"{name} of {who}")
        return _verdict_envelope(verdict, verb, endpoint.path, who)

    def per_item(
        self,
        name: str,
        payloads: Sequence[Mapping[str, Any]],
        kind: str,
    ) -> list[dict[str, Any]]:
        """A batch cancel (``kind="cancel"``) or modify (``"modify"``); items whose outcome is
        unknown are settled by looking each order up, never by sending them again."""
        endpoint = ENDPOINTS[name]
        exc, results, pending = self._send_batch(name, payloads, _ids_row)

        def probe() -> bool | None:
            for index in list(pending):
                payload = payloads[index]
                done = _is_cancelled if kind == "cancel" else _change_of(payload)
                verdict = _verdict(self.lookup(**_ids(payload)), done)
                if verdict is None:
                    continue
                pending.remove(index)
                outcome, found = verdict
                if outcome == "done" and found is not None:
                    results[index] = {**_ack(found), "code": "", "msg": "", "reconciled": True}
                else:
                    status = (found or {}).get("orderStatus")
                    msg = f"order is {status}; not {kind}ed" if found else "Order does not exist"
                    results[index] = {**_ids_row(payload), "code": "25204", "msg": msg}
            return True if not pending else None

        if pending:
            self._settle(probe)
        if pending:
            who = [str(_ids_row(payloads[i])["clientOid"] or _ids_row(payloads[i])["orderId"])
                   for i in pending]  # fmt: skip
            for index in pending:
                code = _code(results[index]) or getattr(exc, "code", None) or "45001"
                results[index] = {**_ids_row(payloads[index]), "code": code,
                                  "msg": "outcome unknown"}  # fmt: skip
            raise self._unknown(exc, who, endpoint=endpoint.path, results=results,
                                what=f"{len(who)} of {len(payloads)} batch {kind}s")  # fmt: skip
        return results

    # -- writes on a whole scope: cancel-all, close-all ---------------------------------------
    def cancel_all(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``cancel-symbol-order``; when the answer is lost it is done once no order of its
        category (and symbol) is open. The affected orders are then not known: the rebuilt
        answer lists none (and is marked ``reconciled``)."""
        scope = {k: payload[k] for k in ("category", "symbol") if payload.get(k)}

        def settled() -> bool | None:
            listed = page_rows(self.transport.call(ENDPOINTS["get_unfilled_orders"], scope)["data"])
            return True if not listed else None

        return self._by_state("cancel_all_orders", payload, settled)

    def close_all(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``close-positions``; when the answer is lost it is done once no position of its
        scope (category, symbol, posSide) is left."""
        scope = {k: payload[k] for k in ("category", "symbol") if payload.get(k)}

        def settled() -> bool | None:
            rows = page_rows(self.transport.call(ENDPOINTS["get_current_position"], scope)["data"])
            side = payload.get("posSide")
            left = [
                r for r in rows
                if Decimal(str(r.get("total") or "0")) != 0
                and (not side or r.get("posSide") == side)
            ]  # fmt: skip
            return True if not left else None

        return self._by_state("close_all_positions", payload, settled)

    def _by_state(
        self, name: str, payload: Mapping[str, Any], settled: Callable[[], bool | None]
    ) -> dict[str, Any]:
        envelope, exc = self._send(name, payload)
        if envelope is not None:
            return envelope
        if self._settle(settled):
            return _envelope([])
        raise self._unknown(exc, [], endpoint=ENDPOINTS[name].path, what=name)

    # -- writes that set a value; writes without an id ----------------------------------------
    def idempotent(self, name: str, payload: Any) -> dict[str, Any]:
        """A write that sets a value (set-leverage, set-hold-mode, the countdown): sending it
        twice leaves the same state as once, so an unknown outcome is sent again (bounded)."""
        endpoint = ENDPOINTS[name]
        last: BaseException | None = None
        for attempt in range(self.max_resends + 1):
            try:
                return self.transport.call(endpoint, payload)
            except BitgetError as exc:
                if not (uncertain(exc) or refused_unprocessed(exc)):
                    raise
                last = exc
            if attempt < self.max_resends:
                self._wait(last, attempt)
        if last is not None and refused_unprocessed(last):
            raise last  # refused every time: certainly not done
        raise OutcomeUnknownError(
            getattr(last, "code", None),
            f"{name}: gave up after {self.max_resends + 1} attempts ({last})",
            endpoint=endpoint.path,
        )

    def once(self, name: str, payload: Any, *, check: str) -> dict[str, Any]:
        """A write with no id to look it up by (a copy-trading transfer): re-sent only when
        certainly refused before processing; an unknown outcome is raised, saying where to
        ``check``."""
        endpoint = ENDPOINTS[name]
        envelope, exc = self._send(name, payload)
        if envelope is not None:
            return envelope
        raise OutcomeUnknownError(
            getattr(exc, "code", None),
            f"{name}: the answer was lost and this write carries no id to look it up by; "
            f"check {check} before sending it again ({exc})",
            endpoint=endpoint.path,
        )


def _ids(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {"order_id": payload.get("orderId"), "client_oid": payload.get("clientOid")}


def _ids_row(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {"orderId": payload.get("orderId") or "", "clientOid": payload.get("clientOid") or ""}


def _is_cancelled(order: Mapping[str, Any]) -> bool:
    return order.get("orderStatus") == "cancelled"


def _shows_change(
    order: Mapping[str, Any],
    payload: Mapping[str, Any],
    fields: tuple[str, ...] = ("price", "qty"),
) -> bool:
    wanted = {k: payload[k] for k in fields if payload.get(k) is not None}
    return bool(wanted) and all(_same_number(order.get(k), v) for k, v in wanted.items())


def _change_of(payload: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    return lambda order: _shows_change(order, payload)


def _verdict(
    found: Mapping[str, Any] | None, done: Callable[[Mapping[str, Any]], bool]
) -> tuple[str, Mapping[str, Any] | None] | None:
    """What a look-up says of a write on an existing order: ``done``; ``closed`` (it can no
    longer happen); ``absent`` (no such order); or ``None`` — not known yet."""
    if found is None:
        return ("absent", None)
    if done(found):
        return ("done", found)
    if (found.get("orderStatus") or found.get("status")) in _CLOSED:
        return ("closed", found)
    return None


def _verdict_envelope(
    verdict: tuple[str, Mapping[str, Any] | None], verb: str, path: str, who: str
) -> dict[str, Any]:
    outcome, found = verdict
    if outcome == "done" and found is not None:
        return _envelope(_ack(found))
    if outcome == "absent" or found is None:
        raise OrderNotFoundError("25204", f"order {who} does not exist", endpoint=path)
    status = found.get("orderStatus") or found.get("status")
    raise OrderNotFoundError(
        "25204", f"order {found.get('orderId')} is {status}; it was not {verb}", endpoint=path
    )
