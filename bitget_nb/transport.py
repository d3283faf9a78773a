"""HTTP transport: one keep-alive session, signing, envelope checks, retries, rate limiting.

What happens to one call (:meth:`Transport.call`):

1. the client-side limiter waits until the endpoint's per-second budget (endpoint table,
   spec §3) has room, so a well-behaved client never earns a 429;
2. the request is encoded exactly once — query string or compact JSON body — and sent; a body
   is signed byte for byte, a query in its percent-decoded form (spec §1.3, §10.1), which is
   the sent text itself unless a character had to be escaped;
3. any answer other than HTTP 2xx with ``code == "00000"`` becomes the exception of
   :mod:`bitget_nb.errors` for its code (spec §2.2);
4. ``40008`` (timestamp expired): the offset to the exchange's clock is measured from its
   server time, once, and the call is signed again and re-sent — it was refused before any
   processing, so this is safe for writes too;
5. reads are retried with tenacity (bounded attempts, exponential backoff with jitter; a 429
   waits for ``Retry-After`` or the rate window). Each attempt *returns* its refusal to
   tenacity rather than raising it, and the last one is raised by :meth:`Transport.call` once
   tenacity has returned: the traceback of a refused read holds no retry machinery. Writes
   are never retried here: whether a write that failed in flight may be sent again is decided
   above this layer, by looking the order up by its ``clientOid``.

A session the transport makes itself reads the proxy settings of the environment
(``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``) and ``REQUESTS_CA_BUNDLE`` /
``CURL_CA_BUNDLE`` once, when it is made (:func:`environment_settings`) — requests would
otherwise scan them, and ``~/.netrc``, on every call — and never sends a loopback base URL
(the local exchange) through a proxy.

Nothing here logs a header, a secret or a signature.
"""

from __future__ import annotations

import http.client
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests
import requests.adapters
import urllib3
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_result,
    stop_after_attempt,
    wait_random_exponential,
)

from ._net import base_url_problem, is_loopback_url, redact
from .config import DEFAULT_POOL_SIZE, Credentials, Secret
from .endpoints import ENDPOINTS, Endpoint
from .errors import (
    BitgetAPIError,
    BitgetError,
    ConfigurationError,
    RateLimitError,
    RedirectError,
    ServerError,
    TimestampExpiredError,
    TransportError,
    error_from_envelope,
)
from .signing import compact_json, decode_query, encode_query, sign

__all__ = ["RateLimiter", "Transport", "environment_settings", "shared_limiter"]

logger = logging.getLogger(__name__)

Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


class RateLimiter:
    """Per-key sliding one-second windows, conservative by construction.

    A request occupies its slot from the moment it is sent until one ``window`` after its
    answer arrived. The exchange counts a request when it arrives, which is never after the
    answer, so no server-side window of the same length can ever see more than ``rate`` of
    them — whatever the latency — and a token bucket of ``rate`` tokens refilled at ``rate``
    per window (the local exchange's, spec §10.4) admits every such sequence of arrivals.
    In-flight requests hold their slot, so threads sharing one limiter stay within the budget
    together.
    """

    def __init__(
        self,
        *,
        window: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._window = window
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}
        self._done: dict[str, deque[float]] = {}

    def acquire(self, key: str, rate: float) -> None:
        """Wait until ``key`` has room under ``rate`` per window, then take a slot."""
        limit = max(1, int(rate))
        while True:
            with self._lock:
                done = self._done.setdefault(key, deque())
                now = self._clock()
                while done and done[0] <= now - self._window:
                    done.popleft()
                in_flight = self._in_flight.get(key, 0)
                if in_flight + len(done) < limit:
                    self._in_flight[key] = in_flight + 1
                    return
                wait = done[0] + self._window - now if done else 0.005
            self._sleep(max(wait, 0.0005))

    def release(self, key: str) -> None:
        """The answer to a request under ``key`` has arrived: its window starts now."""
        with self._lock:
            self._in_flight[key] -= 1
            self._done.setdefault(key, deque()).append(self._clock())


_shared_lock = threading.Lock()
_shared: dict[str, RateLimiter] = {}


def shared_limiter(base_url: str) -> RateLimiter:
    """The process-wide limiter for one exchange.

    Bitget counts public calls per IP and private calls per account, not per client object:
    every client of this process that talks to ``base_url`` draws on the same budget, so two
    clients in one notebook never push each other into 429s.
    """
    with _shared_lock:
        limiter = _shared.get(base_url)
        if limiter is None:
            limiter = _shared[base_url] = RateLimiter()
        return limiter


def environment_settings(base_url: str) -> tuple[dict[str, str], str | None]:
    """``(proxies, CA bundle)`` for a session that talks to ``base_url``, from the environment
    as it is now: the proxies requests itself would pick (``HTTPS_PROXY``, ``HTTP_PROXY``,
    ``ALL_PROXY``, honouring ``NO_PROXY``), none at all for a loopback URL, and
    ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` if set.

    >>> environment_settings("http://127.0.0.1:8080")[0]
    {}
    """
    proxies = {} if is_loopback_url(base_url) else requests.utils.get_environ_proxies(base_url)
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None
    return dict(proxies), bundle


def _is_retryable_read(outcome: object) -> bool:
    """Whether a read's attempt should be made again: ``outcome`` is what the attempt
    returned — an envelope, or the refusal it met."""
    if isinstance(outcome, RedirectError):
        return False  # the same request gets the same redirect
    if isinstance(outcome, TransportError):
        return True
    return isinstance(outcome, BitgetAPIError) and outcome.retryable


class Transport:
    """Sends one endpoint call and returns its decoded envelope.

    ``session``, ``sleep`` and ``clock`` are injectable so retries and the rate limiter can be
    tested without waiting. ``clock`` returns seconds since the epoch (local time).
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None = None,
        *,
        demo: bool = False,
        locale: str = "en-US",
        timeout: tuple[float, float] = (3.05, 10.0),
        max_retries: int = 3,
        rate_limit: bool = True,
        session: requests.Session | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        problem = base_url_problem(base_url)
        if problem is not None:
            raise ConfigurationError(f"base_url {redact(str(base_url))!r} is not usable: {problem}")
        if pool_size < 1:
            raise ConfigurationError(f"pool_size must be at least 1, got {pool_size}")
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials
        self.demo = demo
        self.locale = locale
        self.timeout = timeout
        self.max_retries = max_retries
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            # One kept-alive connection per thread that shares this client, up to pool_size
            # (requests' default of 10 logs "Connection pool is full" for an 11th thread).
            # No retries down there: what may be re-sent is decided above this layer.
            adapter = requests.adapters.HTTPAdapter(
                pool_connections=2, pool_maxsize=pool_size, max_retries=0
            )
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            # Read once, not on every call: requests scans the environment for proxies,
            # NO_PROXY, .netrc and CA bundles per request of a session that trusts it (a fifth
            # of the client's time). Loopback — the local exchange — is never proxied.
            session.trust_env = False
            proxies, bundle = environment_settings(self.base_url)
            session.proxies = proxies
            if bundle is not None:
                session.verify = bundle
        self._session = session
        self._sleep = sleep
        self._clock = clock
        self._limiter = shared_limiter(self.base_url) if rate_limit else None
        self._offset_ms = 0
        self._offset_lock = threading.Lock()
        # exponential backoff with full jitter: 0–0.2 s, 0–0.4 s, 0–0.8 s … capped at 5 s
        self._backoff = wait_random_exponential(multiplier=0.2, max=5.0)
        self._retrying = Retrying(
            stop=stop_after_attempt(max_retries + 1),
            wait=self._wait,
            retry=retry_if_result(_is_retryable_read),
            sleep=sleep,
            # attempts exhausted: hand back the last outcome (call() raises it)
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
            reraise=True,
        )

    # -- public ---------------------------------------------------------------------------
    @property
    def has_credentials(self) -> bool:
        return self._credentials is not None

    @property
    def clock_offset_ms(self) -> int:
        """Milliseconds added to the local clock to match the exchange's (see :meth:`sync_time`)."""
        return self._offset_ms

    def now_ms(self) -> int:
        """The exchange's time as this client knows it: local clock plus measured offset."""
        return int(self._clock() * 1000) + self._offset_ms

    def call(self, endpoint: Endpoint, params: Params = None) -> dict[str, Any]:
        """Send ``params`` to ``endpoint``; return the success envelope or raise."""
        if endpoint.private and self._credentials is None:
            raise ConfigurationError(
                f"{endpoint.name} ({endpoint.path}) is a private endpoint and needs API "
                "credentials: pass api_key/api_secret/api_pass or use bitget_nb.connect()"
            )
        if endpoint.write:
            return self._call_with_clock_fix(endpoint, params)
        outcome = self._retrying(self._attempt, endpoint, params)
        if isinstance(outcome, BitgetError):
            # raised here, after tenacity has returned: none of its frames are in the traceback
            raise outcome
        return outcome

    def sync_time(self) -> int:
        """Measure the offset between the local clock and the exchange's server time."""
        endpoint = ENDPOINTS["get_server_time"]
        before = self._clock()
        envelope = self._send(endpoint, None)
        after = self._clock()
        server_ms = int(envelope["data"]["serverTime"])
        offset = server_ms - round((before + after) * 500)
        with self._offset_lock:
            self._offset_ms = offset
        logger.debug("clock offset to %s is %d ms", self.base_url, offset)
        return offset

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    # -- internals ------------------------------------------------------------------------
    def _attempt(self, endpoint: Endpoint, params: Params) -> dict[str, Any] | BitgetError:
        """One attempt of a read: its envelope, or the refusal it met — returned, so that
        tenacity decides on a value and :meth:`call` raises the last one itself."""
        try:
            return self._call_with_clock_fix(endpoint, params)
        except BitgetError as refusal:
            return refusal

    def _call_with_clock_fix(self, endpoint: Endpoint, params: Params) -> dict[str, Any]:
        try:
            return self._send(endpoint, params)
        except TimestampExpiredError:
            logger.debug("40008 on %s: resyncing the clock once", endpoint.path)
        # sent again outside the handler: a refusal of the second attempt does not carry the
        # 40008 along as its __context__ (nothing to act on: the clock is fixed)
        self.sync_time()
        return self._send(endpoint, params)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.result() if state.outcome and not state.outcome.failed else None
        if isinstance(exc, RateLimitError):
            return exc.retry_after if exc.retry_after is not None else 1.0
        return self._backoff(state)

    def _send(self, endpoint: Endpoint, params: Params) -> dict[str, Any]:
        method = endpoint.method
        if method == "GET":
            query = encode_query(params)  # type: ignore[arg-type]
            body = ""
        else:
            query = ""
            body = "" if params is None else compact_json(params)
        url = self.base_url + endpoint.path + ("?" + query if query else "")
        headers = {"Content-Type": "application/json", "locale": self.locale}
        # ACCESS-SIGN and ACCESS-PASSPHRASE are Secrets: any repr of these headers (a verbose
        # traceback's locals, requests' own header dict) shows <hidden>
        creds = self._credentials
        # public budgets are per IP, private ones per account: the key stands for the account
        key = f"{endpoint.name}:{creds.api_key}" if endpoint.private and creds else endpoint.name
        if self._limiter is not None:
            # Wait for the budget before taking the timestamp: a signature made before a long
            # wait could reach the exchange outside its timestamp window (40008).
            self._limiter.acquire(key, endpoint.rate_limit)
        if endpoint.private:
            assert creds is not None
            timestamp = str(self.now_ms())
            headers["ACCESS-KEY"] = creds.api_key
            # Live Bitget checks a GET's signature over the decoded query (spec §10.1); the
            # sent query escapes only what must be escaped, so a server that checks the text
            # as received gets the same string whenever nothing was escaped.
            signed_query = decode_query(query)
            headers["ACCESS-SIGN"] = Secret(
                sign(creds.api_secret, timestamp, method, endpoint.path, signed_query, body)
            )
            headers["ACCESS-TIMESTAMP"] = timestamp
            headers["ACCESS-PASSPHRASE"] = creds.api_pass
            if self.demo:
                # private calls only: some public endpoints 404 with it (spec §1.8, §7 #18)
                headers["paptrading"] = "1"

        started = time.perf_counter()
        response: requests.Response | None = None
        failure: TransportError | None = None
        try:
            response = self._session.request(
                method,
                url,
                data=body.encode("utf-8") if body else None,
                headers=headers,
                timeout=self.timeout,
                # never: signed headers (and for 307/308 the order) would go to the target
                allow_redirects=False,
            )
        except _WIRE_FAILURES as exc:
            failure = _transport_error(exc, self.base_url, endpoint.path, self.timeout[1])
        finally:
            if self._limiter is not None:
                self._limiter.release(key)
        if failure is not None:
            # Raised outside the except block, so that the requests exception — whose
            # .request holds the signed headers — is neither the __cause__ nor the __context__.
            raise failure
        assert response is not None
        elapsed_ms = (time.perf_counter() - started) * 1000
        return self._check(endpoint, response, elapsed_ms)

    def _check(
        self, endpoint: Endpoint, response: requests.Response, elapsed_ms: float
    ) -> dict[str, Any]:
        status = response.status_code
        if 300 <= status < 400:
            location = redact(response.headers.get("Location") or "(no Location header)")
            raise RedirectError(
                f"{endpoint.path} answered HTTP {status}, a redirect to {location}; it was not "
                "followed (signed headers are never sent elsewhere): check base_url",
                location=location,
                http_status=status,
                endpoint=endpoint.path,
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if logger.isEnabledFor(logging.DEBUG):
            code = body.get("code") if isinstance(body, dict) else None
            logger.debug(
                "%s %s -> HTTP %d code %s in %.1f ms",
                endpoint.method,
                endpoint.path,
                status,
                code,
                elapsed_ms,
            )
        if 200 <= status < 300 and isinstance(body, dict) and body.get("code") == "00000":
            return body
        if 200 <= status < 300 and not isinstance(body, dict):
            raise ServerError(
                None,
                f"the answer was not a JSON envelope ({len(response.content)} bytes)",
                http_status=status,
                endpoint=endpoint.path,
            )
        retry_after = response.headers.get("Retry-After")
        try:
            retry_after_s = float(retry_after) if retry_after is not None else None
        except ValueError:
            retry_after_s = None
        raise error_from_envelope(
            body, http_status=status, endpoint=endpoint.path, retry_after=retry_after_s
        )


#: What sending can raise: requests' own exceptions, and what escapes it from urllib3,
#: http.client and the socket layer (a cut chunked body has surfaced as each of these).
_WIRE_FAILURES = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
    ValueError,
)
#: Failures while the request was being built: it never left this machine.
_UNBUILT = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidHeader,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)

#: Connection failures after which the request certainly never left this machine: no
#: connection was made (urllib3's NewConnectionError, refused, DNS, a failed TLS handshake).
_NOT_CONNECTED = (
    "NewConnectionError",
    "NameResolutionError",
    "Connection refused",
    "CERTIFICATE_VERIFY_FAILED",
    "WRONG_VERSION_NUMBER",
)


def _transport_error(
    exc: BaseException, base_url: str, path: str, read_timeout: float
) -> TransportError:
    """The :class:`TransportError` for a failure inside ``requests`` (or below it).

    ``maybe_sent`` is false only when the request certainly never reached the exchange; any
    failure after the connection was made — a read timeout, a dropped connection, an answer
    cut in the middle (``ChunkedEncodingError``) or undecodable (``ContentDecodingError``) —
    leaves a write's outcome unknown. The message names no header, key or signature.
    """
    name = type(exc).__name__
    where = f"{redact(base_url)} for {path}"
    text = repr(exc)
    if isinstance(exc, requests.ConnectTimeout):
        return TransportError(f"could not connect to {where}: timed out", endpoint=path,
                              maybe_sent=False)  # fmt: skip
    if isinstance(exc, requests.Timeout):
        return TransportError(f"no answer from {path} within {read_timeout} s", endpoint=path)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return TransportError(f"the answer from {path} was cut off ({name})", endpoint=path)
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return TransportError(
            f"the answer from {path} could not be decoded ({name}: its Content-Encoding "
            "does not match its body)",
            endpoint=path,
        )
    if isinstance(exc, _UNBUILT):
        return TransportError(f"the request to {where} could not be built ({name})",
                              endpoint=path, maybe_sent=False)  # fmt: skip
    if isinstance(exc, requests.ConnectionError):
        refused = any(marker in text for marker in _NOT_CONNECTED)
        return TransportError(
            f"connection to {where} failed" + (" (refused)" if refused else " (dropped)"),
            endpoint=path,
            maybe_sent=not refused,
        )
    # anything else from requests, urllib3, http.client or the socket layer
    return TransportError(f"the request to {where} failed ({name})", endpoint=path)
