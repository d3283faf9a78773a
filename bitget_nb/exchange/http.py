"""The HTTP front of the local exchange: routing, auth, rate limits and envelopes.

:class:`ExchangeApp` is a WSGI application (Werkzeug ``Request``/``Response``) over a
:class:`~bitget_nb.exchange.venue.Venue`. Every answer is a Bitget envelope (spec §2)::

    {"code":"00000","msg":"success","requestTime":1748736000000,"data":...}

A request goes through, in order: route (404 unknown path, 405 wrong method; a classic
private path is authenticated and answered 40085, :func:`is_classic_private`) → body size
(413) → for private endpoints authentication (spec §1.7), the per-uid rate limit (429) and
the key's permission (40014); for public ones the per-IP rate limit → "not implemented yet"
(404) → parameters (40017 for an unreadable body, 25xxx for bad values) → injected latency
and faults (:mod:`.faults`) → the operation.

A fault that damages the answer (``truncate``: half the body; ``bad_gzip``: a body that
claims a compression it lacks) is marked in the environ too, and the handler sends it so.
A fault that closes the connection unanswered (``drop``, ``timeout``) is marked in the
environ; :class:`_Handler` then holds the request (waking early when the server closes) and
closes the socket without writing a byte, so a client sees a dropped connection or its own
read timeout — exactly what it would see from a lost answer.

:class:`ExchangeServer` runs the app on a Werkzeug server with HTTP/1.1 keep-alive whose
threads serve requests, not connections: idle keep-alive connections wait in a selector, so
thousands of them cost no thread (and closing them all at once wakes none). It tracks every
connection, and on :meth:`ExchangeServer.close` shuts them all down and joins every thread.
The library never prints: every log line goes to the ``bitget_nb.exchange`` logger at DEBUG
(ERROR for a bug in a handler).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, select_address_family
from werkzeug.wrappers import Request, Response

from ..endpoints import BY_ROUTE, Endpoint
from ..errors import CODES
from ..signing import compact_json
from . import defaults
from .auth import SignedRequest, authenticate, authorize
from .faults import Fault, Faults
from .params import ExchangeError, nests_deeper_than
from .ratelimit import TokenBucketLimiter
from .venue import Caller, Venue

__all__ = ["ExchangeApp", "ExchangeServer", "is_classic_private"]

logger = logging.getLogger("bitget_nb.exchange")

#: environ keys shared between the request handler and the app.
RAW_TARGET = "bitget_nb.raw_target"  # the request-target bytes exactly as received
BODY_CONSUMED = "bitget_nb.body_consumed"  # the app read the whole body: keep-alive is safe
#: Set by the app to the seconds to hold before closing the connection without an answer.
CLOSE_UNANSWERED = "bitget_nb.close_unanswered"
#: Environ key: the answer is sent damaged (``truncate`` or ``bad_gzip`` fault kinds).
DAMAGE = "bitget_nb.damage"
#: The server's "closing" event, so that held requests and latency wake up on close.
STOPPING = "bitget_nb.stopping"

_READ_CHUNK = 65_536
#: After an answer that left the body unread (413, unknown path …) the server reads and drops
#: up to this much so the client sees the answer rather than a reset connection.
_DRAIN_BYTES = 64 * 1024 * 1024
_DRAIN_SECONDS = 2.0
_JOIN_SECONDS = 5.0
#: Connections accepted in one go before the serving thread looks at its idle ones again.
_ACCEPT_BATCH = 64
#: Idle connections kept when the selector is select() (less the listener and wake-up).
_SELECT_IDLE_MAX = 500

#: Worker threads at most. Only requests in progress (and lingering workers, below) hold one,
#: so this bounds concurrent requests, not connections: enough for every notebook, test and
#: bench client at once, including requests held by injected faults or latency.
MAX_WORKERS = 64
#: After an answer, a worker waits this long for the connection's next request before
#: handing it to the selector: a client sending back to back keeps its thread (no hand-over
#: per request), one pausing longer costs no thread.
LINGER_SECONDS = 1.0
#: Workers lingering at once, at most: this bounds the threads a mass close can wake (every
#: other idle connection waits in the selector), and leaves workers free for new requests.
MAX_LINGERING = 16
#: A worker with nothing to serve for this long ends (the next burst starts new ones).
WORKER_IDLE_SECONDS = 10.0


class _MethodNotAllowed(ExchangeError):
    """A known path asked with another method: HTTP 405 with an ``Allow`` header."""

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(
            defaults.NOT_FOUND_CODE, http_status=405, detail=f"{method} is not allowed here"
        )
        self.allow = ", ".join(allowed)


def _envelope(code: str, msg: str, data: Any, request_time: int) -> bytes:
    body = {"code": code, "msg": msg, "requestTime": request_time, "data": data}
    return compact_json(body).encode("ascii")


class ExchangeApp:
    """WSGI application: the Bitget V3 wire protocol over a :class:`Venue`."""

    def __init__(
        self,
        venue: Venue,
        *,
        timestamp_window_ms: int = defaults.TIMESTAMP_WINDOW_MS,
        rate_limits: bool = True,
        max_body_bytes: int = 1_048_576,
        limiter: TokenBucketLimiter | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.venue = venue
        self.faults = faults if faults is not None else Faults()
        self.timestamp_window_ms = timestamp_window_ms
        self.rate_limits = rate_limits
        self.max_body_bytes = max_body_bytes
        self.limiter = limiter or TokenBucketLimiter()
        routes: dict[str, dict[str, Endpoint]] = {}
        for (method, path), endpoint in BY_ROUTE.items():
            routes.setdefault(path, {})[method] = endpoint
        self._routes = routes

    # -- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            response = self._handle(environ)
        except ExchangeError as exc:
            response = self._error(exc)
        except Exception:
            # A bug, never a bad input: bad inputs raise ExchangeError. The traceback goes to
            # the logger, the client gets an envelope, never a traceback.
            logger.error(
                "unexpected error on %s %s",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
                exc_info=True,
            )
            response = self._error(ExchangeError("25000", http_status=500))
        return response(environ, start_response)

    def _json(
        self, status: int, payload: bytes, headers: Mapping[str, str] | None = None
    ) -> Response:
        return Response(
            payload, status=status, headers=dict(headers or {}), content_type="application/json"
        )

    def _error(self, exc: ExchangeError) -> Response:
        headers = {"Allow": exc.allow} if isinstance(exc, _MethodNotAllowed) else {}
        return self._json(
            exc.http_status, _envelope(exc.code, exc.msg, None, self.venue.now_ms()), headers
        )

    def _handle(self, environ: dict) -> Response:
        request = Request(environ)
        method = request.method.upper()
        raw_target: bytes = environ.get(RAW_TARGET) or environ.get("REQUEST_URI", "/").encode(
            "latin-1", "replace"
        )
        raw_path, _, raw_query = raw_target.partition(b"?")
        if raw_path[:1] != b"/":
            # Absolute-form request target (``GET http://host/path``).
            raw_path = urlsplit(raw_path.decode("latin-1")).path.encode("latin-1", "replace")
        path = raw_path.decode("utf-8", "replace")
        query = raw_query.decode("utf-8", "replace")

        methods = self._routes.get(path)
        if methods is None:
            if is_classic_private(path):
                self._refuse_classic(environ, request, method, path, query)
            raise ExchangeError(defaults.NOT_FOUND_CODE, http_status=404)
        endpoint = methods.get(method)
        if endpoint is None:
            raise _MethodNotAllowed(method, sorted(methods))

        body = self._read_body(environ)
        caller: Caller | None = None
        if endpoint.private:
            headers = {k.lower(): v for k, v in request.headers.items()}
            caller = authenticate(
                SignedRequest(method, path, query, body, headers),
                find_key=self.venue.find_key,
                now_ms=self.venue.now_ms(),
                window_ms=self.timestamp_window_ms,
            )
            self._rate_limit((caller.account.uid, endpoint.name), endpoint)
            authorize(endpoint, caller)
        else:
            self._rate_limit((request.remote_addr or "", endpoint.name), endpoint)

        if not self.venue.implements(endpoint.name):
            raise ExchangeError(defaults.NOT_FOUND_CODE, defaults.NOT_IMPLEMENTED_MSG, 404)
        params = _query_params(query) if method == "GET" else _body_params(body, endpoint)
        delay = self.faults.latency(endpoint.name)
        if delay:
            _stopping(environ).wait(delay)
        fault = self.faults.draw(endpoint.name)
        if fault is not None and fault.when == "before":
            return self._fault(fault, environ)  # nothing ran: the state is unchanged
        try:
            data = self.venue.call(endpoint.name, params, caller)
        except ExchangeError:
            if fault is None:
                raise
            if fault.kind in _DAMAGES:
                environ[DAMAGE] = fault.kind
                raise  # refused, and the refusal arrives damaged
            return self._fault(fault, environ)  # refused, but the client never learns it
        if fault is not None and fault.kind in _DAMAGES:
            environ[DAMAGE] = fault.kind  # committed, and the answer arrives damaged
        elif fault is not None:
            return self._fault(fault, environ)  # committed, and the answer is lost
        return self._json(200, _envelope("00000", "success", data, self.venue.now_ms()))

    def _fault(self, fault: Fault, environ: dict) -> Response:
        code = fault.code
        if code is None:
            # Closed unanswered by the handler; this response is never sent (another WSGI
            # server would send it: a 503 is the closest answer a plain server can give).
            environ[CLOSE_UNANSWERED] = fault.hold_seconds
            code = defaults.FAULT_503_CODE
            return self._json(503, _envelope(code, CODES[code].message, None, self.venue.now_ms()))
        text = CODES[code].message
        envelope = _envelope(code, text, None, self.venue.now_ms())
        return self._json(fault.http_status, envelope, fault.headers)

    def _refuse_classic(
        self, environ: dict, request: Request, method: str, path: str, query: str
    ) -> None:
        """A classic private path: authenticated like any private call, then refused with
        the code a unified account gets there (:data:`defaults.CLASSIC_ACCOUNT_CODE`)."""
        body = self._read_body(environ)
        headers = {k.lower(): v for k, v in request.headers.items()}
        authenticate(
            SignedRequest(method, path, query, body, headers),
            find_key=self.venue.find_key,
            now_ms=self.venue.now_ms(),
            window_ms=self.timestamp_window_ms,
        )
        raise ExchangeError(defaults.CLASSIC_ACCOUNT_CODE)

    def _rate_limit(self, key: tuple[str, str], endpoint: Endpoint) -> None:
        if self.rate_limits and not self.limiter.allow(key, endpoint.rate_limit):
            raise ExchangeError("429", http_status=429)

    def _read_body(self, environ: dict) -> bytes:
        """The whole body, at most ``max_body_bytes``; marks the environ when all was read."""
        stream = environ["wsgi.input"]
        limit = self.max_body_bytes
        too_large = ExchangeError(
            defaults.TOO_LARGE_CODE,
            http_status=413,
            detail=f"the request body is larger than {limit} bytes",
        )
        unreadable = ExchangeError(
            defaults.BAD_BODY_CODE, detail="the request body could not be read in full"
        )
        chunks: list[bytes] = []
        total = 0
        try:
            if environ.get("wsgi.input_terminated"):  # chunked transfer encoding
                while True:
                    chunk = stream.read(_READ_CHUNK)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > limit:
                        raise too_large
                    chunks.append(chunk)
            else:
                length_text = (environ.get("CONTENT_LENGTH") or "0").strip()
                if not length_text.isascii() or not length_text.isdigit():
                    raise ExchangeError(
                        defaults.BAD_BODY_CODE, detail="Content-Length is not a number"
                    )
                length = int(length_text)
                if length > limit:
                    raise too_large
                while total < length:
                    chunk = stream.read(min(_READ_CHUNK, length - total))
                    if not chunk:
                        raise unreadable
                    total += len(chunk)
                    chunks.append(chunk)
        except (OSError, ValueError):
            # A dropped connection, a timeout or a malformed chunk: nothing more can be read.
            raise unreadable from None
        environ[BODY_CONSUMED] = True
        return b"".join(chunks)


#: Fault kinds whose answer is sent, but damaged (see :mod:`.faults`).
_DAMAGES = frozenset({"truncate", "bad_gzip"})


def is_classic_private(path: str) -> bool:
    """Whether ``path`` belongs to the classic (V2/V1) API and needs keys there
    (:data:`defaults.CLASSIC_PREFIXES`).

    >>> [is_classic_private(p) for p in ("/api/v2/mix/order/place-order", "/api/spot/v1/account")]
    [True, True]
    >>> [is_classic_private(p) for p in ("/api/v2/spot/market/tickers", "/api/v3/trade/fills")]
    [False, False]
    """
    if not path.startswith(defaults.CLASSIC_PREFIXES) or path in defaults.CLASSIC_PUBLIC_PATHS:
        return False
    return not defaults.CLASSIC_PUBLIC_SEGMENTS.intersection(path.split("/"))


def _stopping(environ: dict) -> threading.Event:
    event = environ.get(STOPPING)
    return event if isinstance(event, threading.Event) else threading.Event()


def _query_params(query: str) -> dict[str, str]:
    """GET parameters; the first value wins when a name repeats."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(name, value)
    return params


def _body_params(body: bytes, endpoint: Endpoint) -> dict[str, Any] | list[Any]:
    """A POST body: empty and ``{}`` both mean "no parameters" (spec §1.3); batch endpoints
    take a bare array, the others an object. Nesting is capped before decoding
    (:data:`~.defaults.MAX_BODY_DEPTH`), so nothing reaches the venue — or a paper account's
    log — that could not be encoded and decoded again on any thread."""
    if not body.strip():
        return [] if endpoint.batch_body else {}
    not_json = ExchangeError(defaults.BAD_BODY_CODE, detail="the body is not valid JSON")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise not_json from None
    if nests_deeper_than(text, defaults.MAX_BODY_DEPTH):
        raise ExchangeError(
            defaults.BAD_BODY_CODE,
            detail=f"the body nests deeper than {defaults.MAX_BODY_DEPTH} levels",
        )
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # RecursionError: unreachable below the cap
        raise not_json from None
    expected = list if endpoint.batch_body else dict
    if not isinstance(value, expected):
        kind = "an array" if endpoint.batch_body else "an object"
        raise ExchangeError(defaults.BAD_BODY_CODE, detail=f"the body must be a JSON {kind}")
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# --------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------


class _Handler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive, and no printing.

    Werkzeug's own ``run_wsgi`` always answers ``Connection: close`` and, after the answer,
    reads whatever is left on the socket, which would swallow a pipelined next request. Our
    responses are small byte strings, so this handler sends them itself with a
    ``Content-Length`` and keeps the connection open whenever the app read the whole body.

    One handler serves the requests a connection has already sent (pipelined ones included)
    and returns; :class:`ExchangeServer` then decides where the connection waits for its next
    request. ``close_connection`` says whether it may be kept.
    """

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and
    # the peer's delayed ACK would hold the body back ~40 ms on every keep-alive request.
    disable_nagle_algorithm = True
    server: ExchangeServer

    def setup(self) -> None:
        # socketserver reads the instance's timeout for this connection's socket
        self.timeout = self.server.idle_timeout  # type: ignore[misc]
        super().setup()

    def handle(self) -> None:
        """Serve one request, then every further one the client has already sent."""
        self.close_connection = True
        try:
            self.handle_one_request()
            while not self.close_connection and self._more_sent():
                self.handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # dropped by the client, or too slow to send

    def _more_sent(self) -> bool:
        """Whether more bytes wait, in the read buffer or on the socket (checked without
        blocking). A connection handed back to the selector must leave nothing in this
        handler's buffer: the selector sees the socket only."""
        self.connection.setblocking(False)
        try:
            return bool(cast(io.BufferedReader, self.rfile).peek(1))
        except OSError:
            return False
        finally:
            self.connection.settimeout(self.timeout)

    def run_wsgi(self) -> None:
        environ = self.make_environ()
        environ[RAW_TARGET] = self.path.encode("latin-1", "replace")
        environ[STOPPING] = self.server.stopping
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            length = self.headers.get("Content-Length", "0").strip()
            if length.isdigit() and int(length) <= self.server.app.max_body_bytes:
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        status, headers, body = call_app(self.server.app, environ)
        hold = environ.get(CLOSE_UNANSWERED)
        if hold is not None:
            self._close_unanswered(float(hold))
            return
        code_text, _, reason = status.partition(" ")
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        no_body = not chunked and self.headers.get("Content-Length", "0").strip() in ("", "0")
        consumed = no_body or bool(environ.get(BODY_CONSUMED))
        self.send_response(int(code_text), reason or None)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if not consumed:
            self.close_connection = True  # what is left of the body would read as a request
        if self.close_connection:
            self.send_header("Connection", "close")
        elif self.request_version == "HTTP/1.0":
            self.send_header("Connection", "keep-alive")
        damage = environ.get(DAMAGE)
        if damage == "bad_gzip":
            # claims a compression its body does not have: the client cannot decode it
            self.send_header("Content-Encoding", "gzip")
        elif damage == "truncate":
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            # a truncated answer: the promised Content-Length, half the bytes, then the FIN
            self.wfile.write(body[: len(body) // 2] if damage == "truncate" else body)
        self.wfile.flush()
        if not consumed:
            self._drain()

    def _close_unanswered(self, hold: float) -> None:
        """Wait ``hold`` seconds (less if the server closes), then end the connection without
        a response: the client sees it dropped, or times out first."""
        if hold > 0:
            self.server.stopping.wait(hold)
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _drain(self) -> None:
        """Read and drop an unread body (bounded) before the connection closes."""
        deadline = time.monotonic() + _DRAIN_SECONDS
        total = 0
        try:
            self.connection.settimeout(0.1)
            while total < _DRAIN_BYTES and time.monotonic() < deadline:
                data = self.rfile.read1(_READ_CHUNK)
                if not data:
                    break
                total += len(data)
        except OSError:
            pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed HTTP (bad request line, oversized headers …) still gets an envelope.

        http.server's own 5xx here (505 for an unknown HTTP version) are about the request,
        not the server, so they become 400: only a bug may answer 5xx.
        """
        if code >= 500:
            code = 400
        bitget_code = defaults.NOT_FOUND_CODE if code == 404 else defaults.BAD_BODY_CODE
        text = CODES[bitget_code].message
        if message:
            text = f"{text}{defaults.DETAIL_SEPARATOR}{message}"
        body = _envelope(bitget_code, text, None, self.server.now_ms())
        self.close_connection = True
        if self.request_version == "HTTP/0.9":
            # An unparsable request line leaves the version at 0.9, which would suppress the
            # status line and headers; answer in HTTP/1.1 so clients can read the envelope.
            self.request_version = self.protocol_version
        try:
            self.send_response(code, message)
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)
        except OSError:
            pass

    # Werkzeug's handler logs through the ``werkzeug`` logger and installs a stream handler
    # on it; the library must never print, so every line goes to our logger at DEBUG.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug('%s "%s" %s', self.address_string(), self.requestline, code)

    def log_error(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def log(self, type: str, message: str, *args: Any) -> None:
        logger.debug("%s [%s] " + message, self.address_string(), type, *args)


@dataclasses.dataclass(eq=False, slots=True)
class _Connection:
    """An accepted connection: its socket and the client's address."""

    sock: socket.socket
    address: Any


class ExchangeServer(BaseWSGIServer):
    """A Werkzeug server whose threads serve requests, not connections.

    A thread per connection (Werkzeug's ``ThreadedWSGIServer``) is spent even while a
    keep-alive connection sits idle, and thousands of such threads closed at once all wake
    together and fight for the GIL: ``python bench/idle_connections.py`` measured a fresh
    request waiting 0.3–2 s behind 2 500 of them and 6–7 s behind 5 000 (faster than
    linear), almost all of it in the kernel's futex calls of the GIL hand-over; with this
    server, 50–120 ms. Here:

    * the serving thread accepts and watches every idle connection in a selector; a
      connection that becomes readable goes to a worker, one the client closed is closed
      on the spot (a mass close costs no thread at all);
    * at most :data:`MAX_WORKERS` worker threads (started on demand, ended after
      :data:`WORKER_IDLE_SECONDS` without work) serve requests; after an answer a worker
      waits up to :data:`LINGER_SECONDS` for the connection's next request — while fewer
      than :data:`MAX_LINGERING` do so — so a client sending back to back keeps its thread,
      then hands the connection back to the selector;
    * a connection idle for ``idle_timeout`` seconds is closed.

    A request held by a fault or by injected latency holds one worker only. :meth:`close`
    shuts every connection down and joins every thread.

    Built on a socket bound here (not by Werkzeug, which prints and exits when a port is
    taken): a busy port raises ``OSError`` like any other socket error.
    """

    multithread = True

    def __init__(
        self,
        host: str,
        port: int,
        app: ExchangeApp,
        *,
        now_ms: Callable[[], int],
        idle_timeout: float = 60.0,
    ) -> None:
        self.now_ms = now_ms
        self.idle_timeout = idle_timeout
        #: Set on close: held requests, injected latency and workers stop waiting.
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        #: Every open socket, whoever holds it (a worker, the selector, a queue): close()
        #: shuts them all down.
        self._connections: set[socket.socket] = set()
        # Work for the workers, under _work: connections to serve (and whether anything has
        # arrived on them yet), how many workers wait for work, linger, and every worker
        # thread started (close() joins them all, even one a moment from its end).
        self._work = threading.Condition(self._lock)
        self._jobs: deque[tuple[_Connection, bool]] = deque()
        self._idle_workers = 0
        self._lingering = 0
        self._workers: set[threading.Thread] = set()
        # Idle connections, owned by the serving thread: parked (oldest first, with the
        # instant they went idle) and registered in the selector. Workers hand connections
        # back through _returned and a byte on the wake-up socket.
        self._idle: dict[_Connection, float] = {}
        self._returned: deque[_Connection] = deque()
        self._serving: threading.Thread | None = None
        self._stop_serving = False
        self._closed = False
        family = select_address_family(host, port)
        listener = socket.create_server((host, port), family=family)
        try:
            super().__init__(host, port, app, handler=_Handler, fd=listener.fileno())
        finally:
            listener.close()
        self.app: ExchangeApp = app
        # Made once the port is ours, so that a busy port leaks nothing.
        self._selector: selectors.BaseSelector = selectors.DefaultSelector()
        # select() (the only selector on Windows) takes at most 512 sockets; epoll, kqueue
        # and poll have no such limit.
        self._idle_limit = (
            _SELECT_IDLE_MAX if isinstance(self._selector, selectors.SelectSelector) else None
        )
        self._wake_in, self._wake_out = socket.socketpair()
        self._wake_in.setblocking(False)
        self._wake_out.setblocking(False)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("error while serving %s", client_address, exc_info=True)

    # -- the serving thread: accept, watch idle connections ------------------------------------

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Accept connections and watch the idle ones until :meth:`shutdown`; this thread
        never reads a request (a readable connection goes to a worker)."""
        selector = self._selector
        self.socket.setblocking(False)
        selector.register(self.socket, selectors.EVENT_READ)
        selector.register(self._wake_in, selectors.EVENT_READ)
        try:
            while not self._stop_serving:
                for key, _events in selector.select(self._select_timeout(poll_interval)):
                    if key.fileobj is self.socket:
                        self._accept()
                    elif key.fileobj is self._wake_in:
                        self._take_returned()
                    else:
                        self._readable(key.data)
                self._expire_idle()
        finally:
            selector.unregister(self.socket)
            selector.unregister(self._wake_in)

    def shutdown(self) -> None:
        """Stop the serving thread and wait for it (no more accepts, nothing more parked)."""
        self._stop_serving = True
        self._wake()
        if self._serving is not None:
            self._serving.join(_JOIN_SECONDS)

    def _accept(self) -> None:
        for _ in range(_ACCEPT_BATCH):  # bounded: idle connections get their turn too
            try:
                sock, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                logger.debug("accept failed", exc_info=True)
                return
            with self._lock:
                self._connections.add(sock)
            self._dispatch(_Connection(sock, address), arrived=False)

    def _take_returned(self) -> None:
        with contextlib.suppress(OSError):
            while self._wake_in.recv(4096):
                pass
        while self._returned:
            self._park(self._returned.popleft())

    def _park(self, conn: _Connection) -> None:
        try:
            self._selector.register(conn.sock, selectors.EVENT_READ, conn)
        except (OSError, ValueError):
            self._close(conn)  # already gone
            return
        self._idle[conn] = time.monotonic()
        if self._idle_limit is not None and len(self._idle) > self._idle_limit:
            self._drop(next(iter(self._idle)))  # the longest idle, as if it timed out

    def _readable(self, conn: _Connection) -> None:
        """An idle connection has something: a request (to a worker) or the client's close
        (closed here, without a thread)."""
        self._selector.unregister(conn.sock)
        del self._idle[conn]
        try:
            conn.sock.setblocking(False)
            sent = conn.sock.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            self._park(conn)  # woken for nothing
            return
        except OSError:
            sent = b""  # reset by the peer
        if sent:
            self._dispatch(conn, arrived=True)
        else:
            self._close(conn)

    def _select_timeout(self, poll_interval: float) -> float:
        if not self._idle:
            return poll_interval
        oldest = next(iter(self._idle.values()))
        return max(0.0, min(poll_interval, oldest + self.idle_timeout - time.monotonic()))

    def _expire_idle(self) -> None:
        deadline = time.monotonic() - self.idle_timeout
        while self._idle:
            conn, since = next(iter(self._idle.items()))
            if since > deadline:
                return
            self._drop(conn)

    def _drop(self, conn: _Connection) -> None:
        self._selector.unregister(conn.sock)
        del self._idle[conn]
        self._close(conn)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full: a wake-up is pending anyway
            self._wake_out.send(b"\0")

    # -- workers: serve requests ----------------------------------------------------------------

    def _dispatch(self, conn: _Connection, *, arrived: bool) -> None:
        """Queue ``conn`` for a worker; start one when none is free and the cap allows."""
        with self._work:
            self._jobs.append((conn, arrived))
            self._workers = {t for t in self._workers if t.is_alive()}
            if len(self._jobs) > self._idle_workers and len(self._workers) < MAX_WORKERS:
                worker = threading.Thread(
                    target=self._work_loop,
                    name=f"bitget_nb-exchange-conn-{self.port}",
                    daemon=True,
                )
                try:
                    worker.start()
                    self._workers.add(worker)
                except RuntimeError:  # out of threads: the running workers will serve it
                    logger.warning("cannot start an exchange worker thread", exc_info=True)
            self._work.notify()

    def _work_loop(self) -> None:
        with selectors.DefaultSelector() as linger:
            while True:
                with self._work:
                    self._idle_workers += 1
                    self._work.wait_for(
                        lambda: self._jobs or self.stopping.is_set(), WORKER_IDLE_SECONDS
                    )
                    self._idle_workers -= 1
                    if not self._jobs:
                        return  # idle too long, or closing
                    conn, arrived = self._jobs.popleft()
                self._serve(conn, arrived=arrived, linger=linger)

    def _serve(self, conn: _Connection, *, arrived: bool, linger: selectors.BaseSelector) -> None:
        """Serve ``conn`` while it is busy; then park it, or close it."""
        try:
            while not self.stopping.is_set():
                if not arrived and not self._linger(conn, linger):
                    self._returned.append(conn)  # the selector watches it from now on
                    self._wake()
                    return
                handler = _Handler(conn.sock, conn.address, self)
                if handler.close_connection:
                    break
                arrived = False
        except Exception:
            self.handle_error(conn.sock, conn.address)
        self._close(conn)

    def _linger(self, conn: _Connection, selector: selectors.BaseSelector) -> bool:
        """Whether the client's next request is there now or, when this worker may linger
        (fewer than MAX_LINGERING do, and no connection waits for a worker), comes within
        LINGER_SECONDS."""
        with self._work:
            wait = self._lingering < MAX_LINGERING and not self._jobs
            if wait:
                self._lingering += 1
        try:
            selector.register(conn.sock, selectors.EVENT_READ)
            try:
                return bool(selector.select(LINGER_SECONDS if wait else 0))
            finally:
                selector.unregister(conn.sock)
        finally:
            if wait:
                with self._work:
                    self._lingering -= 1

    def _close(self, conn: _Connection) -> None:
        with self._lock:
            self._connections.discard(conn.sock)
        with contextlib.suppress(OSError):
            conn.sock.shutdown(socket.SHUT_WR)  # the answer goes out before the FIN
        conn.sock.close()

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Serve in a background thread."""
        self._serving = threading.Thread(
            target=self.serve_forever,
            name=f"bitget_nb-exchange-serve-{self.port}",
            daemon=True,
        )
        self._serving.start()

    def close(self) -> None:
        """Stop accepting, shut every open connection down, join every thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.stopping.set()
        self.shutdown()
        with self._work:
            self._work.notify_all()  # idle workers end
            threads = list(self._workers)
            open_now = list(self._connections)
        for sock in open_now:  # wakes every worker reading a request or lingering
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(_JOIN_SECONDS)
        with self._lock:
            left, self._connections = self._connections, set()
        for sock in left:  # parked, queued, or handed back after the serving thread ended
            sock.close()
        self._selector.close()
        self._wake_in.close()
        self._wake_out.close()
        self.server_close()


def call_app(
    app: Callable[[dict, Callable], Iterable[bytes]], environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run a WSGI ``app`` on ``environ`` and collect its answer: (status line, headers,
    body) — for the HTTP handler and the in-process transport (:mod:`.inprocess`) alike."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return lambda chunk: None  # the write() callable; the exchange never uses it

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    status, headers = started
    return status, headers, body
