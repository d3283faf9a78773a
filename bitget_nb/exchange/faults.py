"""Fault injection for tests and demos: make chosen endpoints fail the way real networks and
gateways do, before or after the operation commits.

This module only keeps the plan (which endpoint fails next, how, how often, how slowly) and
counts what was injected; the HTTP front (:mod:`.http`) carries faults out. Calls made on the
venue directly (``ex.venue.call``) never see faults.

``when="before"`` — nothing changes on the exchange:

* ``http_503``: HTTP 503 with a Bitget envelope (code :data:`defaults.FAULT_503_CODE`);
* ``code_45001``: HTTP 400 with the outcome-unknown code 45001 (spec §2.4.2);
* ``http_429``: HTTP 429 with code ``429`` and a ``Retry-After`` header of ``retry_after``
  whole seconds, as the gateway's rate limit answers (the request was never processed);
* ``timeout``: hold the request ``hold_seconds``, then close the connection unanswered.

``when="after"`` — the operation runs and commits, then the answer is lost:

* ``drop``: close the connection without writing a response;
* ``code_40010`` / ``code_45001``: answer the outcome-unknown error envelope instead;
* ``timeout``: hold ``hold_seconds``, then close unanswered;
* ``truncate``: send the real answer's headers and half its body, then close — an answer
  cut in the middle (``requests`` raises ``ChunkedEncodingError``);
* ``bad_gzip``: send the real answer marked ``Content-Encoding: gzip`` though it is not
  (``requests`` raises ``ContentDecodingError``).

>>> faults = Faults()
>>> faults.fail_next("submit_new_order", when="after", kind="drop")
>>> faults.draw("get_tickers") is None
True
>>> faults.draw("submit_new_order")
Fault(endpoint='submit_new_order', when='after', kind='drop', hold_seconds=0.0, retry_after=0)
>>> faults.injected
{('submit_new_order', 'after', 'drop'): 1}
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass

from ..endpoints import ENDPOINTS
from . import defaults

__all__ = ["KINDS", "Fault", "Faults"]

#: when → the kinds of fault that may happen then.
KINDS: dict[str, tuple[str, ...]] = {
    "before": ("http_503", "code_45001", "http_429", "timeout"),
    "after": ("drop", "code_40010", "code_45001", "timeout", "truncate", "bad_gzip"),
}
_DEFAULT_KIND = {"before": "http_503", "after": "drop"}
#: ``Retry-After`` of an injected 429, in whole seconds (HTTP's delta-seconds).
RETRY_AFTER_DEFAULT_SECONDS = 1
RETRY_AFTER_MAX_SECONDS = 60
_ALIASES = {alias: e.name for e in ENDPOINTS.values() for alias in e.aliases}


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected failure of one request."""

    endpoint: str
    when: str
    kind: str
    hold_seconds: float = 0.0
    #: Whole seconds of the ``Retry-After`` header (``http_429`` only).
    retry_after: int = 0

    @property
    def code(self) -> str | None:
        """The Bitget code answered, or ``None`` when the connection closes unanswered."""
        if self.kind == "http_503":
            return defaults.FAULT_503_CODE
        if self.kind == "http_429":
            return "429"
        if self.kind.startswith("code_"):
            return self.kind.removeprefix("code_")
        return None

    @property
    def http_status(self) -> int:
        return {"http_503": 503, "http_429": 429}.get(self.kind, 400)

    @property
    def headers(self) -> dict[str, str]:
        """Extra response headers: ``Retry-After`` for an injected 429."""
        return {"Retry-After": str(self.retry_after)} if self.kind == "http_429" else {}


@dataclass(slots=True)
class _RandomRule:
    probability: float
    kinds: tuple[tuple[str, str], ...]
    rng: random.Random
    hold_seconds: float
    retry_after: int


def _endpoint(name: str) -> str:
    resolved = _ALIASES.get(name, name)
    if resolved not in ENDPOINTS:
        raise ValueError(
            f"unknown endpoint {name!r}; use a name of bitget_nb.endpoints.ENDPOINTS such as "
            "'submit_new_order' or 'get_order_info'"
        )
    return resolved


def _check(when: str, kind: str) -> None:
    if when not in KINDS:
        raise ValueError(f"when must be 'before' or 'after', got {when!r}")
    if kind not in KINDS[when]:
        raise ValueError(f"kind for when={when!r} must be one of {', '.join(KINDS[when])}")


def _retry_after(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"retry_after must be whole seconds (an int), got {value!r}")
    if not 0 <= value <= RETRY_AFTER_MAX_SECONDS:
        raise ValueError(
            f"retry_after must be from 0 to {RETRY_AFTER_MAX_SECONDS} seconds, got {value!r}"
        )
    return value


def _seconds(value: float, name: str) -> float:
    seconds = float(value)
    if not 0 <= seconds <= defaults.FAULT_HOLD_MAX_SECONDS:
        raise ValueError(
            f"{name} must be from 0 to {defaults.FAULT_HOLD_MAX_SECONDS} seconds, got {value!r}"
        )
    return seconds


class Faults:
    """The fault plan of one exchange (``LocalExchange.faults``). Thread-safe.

    Planned faults (:meth:`fail_next`) come first, in the order planned; then a random rule
    (:meth:`fail_randomly`) may fire. Latency (:meth:`set_latency`) delays every request of
    the endpoint, faulty or not.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._planned: dict[str, deque[Fault]] = {}
        self._random: dict[str, _RandomRule] = {}
        self._latency: dict[str, float] = {}
        self._injected: Counter[tuple[str, str, str]] = Counter()

    def fail_next(
        self,
        endpoint: str,
        count: int = 1,
        *,
        when: str = "before",
        kind: str | None = None,
        hold_seconds: float = defaults.FAULT_HOLD_DEFAULT_SECONDS,
        retry_after: int = RETRY_AFTER_DEFAULT_SECONDS,
    ) -> None:
        """Make the next ``count`` requests of ``endpoint`` fail with ``kind`` (default
        ``http_503`` before, ``drop`` after). ``hold_seconds`` applies to ``timeout``,
        ``retry_after`` to ``http_429``."""
        name = _endpoint(endpoint)
        kind = kind or _DEFAULT_KIND.get(when, "")
        _check(when, kind)
        if count < 1:
            raise ValueError(f"count must be ≥ 1, got {count}")
        hold = _seconds(hold_seconds, "hold_seconds") if kind == "timeout" else 0.0
        wait = _retry_after(retry_after) if kind == "http_429" else 0
        with self._lock:
            queue = self._planned.setdefault(name, deque())
            queue.extend(Fault(name, when, kind, hold, wait) for _ in range(count))

    def fail_randomly(
        self,
        endpoint: str,
        probability: float,
        *,
        kinds: Iterable[tuple[str, str]] = (("before", "http_503"),),
        seed: int = 0,
        hold_seconds: float = defaults.FAULT_HOLD_DEFAULT_SECONDS,
        retry_after: int = RETRY_AFTER_DEFAULT_SECONDS,
    ) -> None:
        """Make each request of ``endpoint`` fail with ``probability``, with a (when, kind)
        drawn from ``kinds``; repeatable: draws come from ``random.Random(seed)``. A
        probability of 0 removes the rule."""
        name = _endpoint(endpoint)
        if not 0 <= probability <= 1:
            raise ValueError(f"probability must be from 0 to 1, got {probability!r}")
        chosen = tuple((str(w), str(k)) for w, k in kinds)
        if not chosen:
            raise ValueError("kinds must name at least one (when, kind) pair")
        for when, kind in chosen:
            _check(when, kind)
        hold = _seconds(hold_seconds, "hold_seconds")
        wait = _retry_after(retry_after)
        with self._lock:
            if probability == 0:
                self._random.pop(name, None)
            else:
                self._random[name] = _RandomRule(
                    probability, chosen, random.Random(seed), hold, wait
                )

    def set_latency(self, endpoint: str, seconds: float) -> None:
        """Delay every request of ``endpoint`` by ``seconds`` (0 removes the delay)."""
        name = _endpoint(endpoint)
        delay = _seconds(seconds, "seconds")
        with self._lock:
            if delay:
                self._latency[name] = delay
            else:
                self._latency.pop(name, None)

    def clear(self) -> None:
        """Forget every planned fault, random rule and latency (``injected`` is kept: it is
        the record of what already happened)."""
        with self._lock:
            self._planned.clear()
            self._random.clear()
            self._latency.clear()

    @property
    def injected(self) -> dict[tuple[str, str, str], int]:
        """How many faults were injected, per (endpoint, when, kind)."""
        with self._lock:
            return dict(self._injected)

    @property
    def pending(self) -> int:
        """Planned faults not injected yet."""
        with self._lock:
            return sum(len(q) for q in self._planned.values())

    # -- used by the HTTP front ---------------------------------------------------------------

    def draw(self, endpoint: str) -> Fault | None:
        """The fault for this request of ``endpoint``, if any (and count it)."""
        with self._lock:
            queue = self._planned.get(endpoint)
            fault: Fault | None = None
            if queue:
                fault = queue.popleft()
            else:
                rule = self._random.get(endpoint)
                if rule is not None and rule.rng.random() < rule.probability:
                    when, kind = rule.kinds[rule.rng.randrange(len(rule.kinds))]
                    hold = rule.hold_seconds if kind == "timeout" else 0.0
                    wait = rule.retry_after if kind == "http_429" else 0
                    fault = Fault(endpoint, when, kind, hold, wait)
            if fault is not None:
                self._injected[(fault.endpoint, fault.when, fault.kind)] += 1
            return fault

    def latency(self, endpoint: str) -> float:
        with self._lock:
            return self._latency.get(endpoint, 0.0)
