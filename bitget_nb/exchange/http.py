"""The HTTP front of the local exchange: routing, auth, rate limits and envelopes.

:class:`ExchangeApp` is a WSGI application (Werkzeug ``Request``/``Response``) over a
:class:`~bitget_nb.exchange.venue.Venue`. Every answer is a Bitget envelope (spec §2)::

    {"code":"00000","msg":"success","requestTime":1748736000000,"data":...}

A request goes through, in order: route (404 unknown path, 405 wrong method) → body size
(413) → for private endpoints authentication (spec §1.7), the per-uid rate limit (429) and
the key's permission (40014); for public ones the per-IP rate limit → "not implemented yet"
(404) → parameters (40017 for an unreadable body, 25xxx for bad values) → injected latency
and faults (:mod:`.faults`) → the operation.

A fault that closes the connection unanswered (``drop``, ``timeout``) is marked in the
environ; :class:`_Handler` then holds the request (waking early when the server closes) and
closes the socket without writing a byte, so a client sees a dropped connection or its own
read timeout — exactly what it would see from a lost answer.

:class:`ExchangeServer` runs the app on a threaded Werkzeug server with HTTP/1.1 keep-alive,
tracks every connection, and on :meth:`ExchangeServer.close` shuts them all down and joins
their threads. The library never prints: every log line goes to the ``bitget_nb.exchange``
logger at DEBUG (ERROR for a bug in a handler).
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler, select_address_family
from werkzeug.wrappers import Request, Response

from ..endpoints import BY_ROUTE, Endpoint
from ..errors import CODES
from ..signing import compact_json
from . import defaults
from .auth import SignedRequest, authenticate, authorize
from .faults import Fault, Faults
from .params import ExchangeError
from .ratelimit import SlidingWindowLimiter
from .venue import Caller, Venue

__all__ = ["ExchangeApp", "ExchangeServer"]

logger = logging.getLogger("bitget_nb.exchange")

#: environ keys shared between the request handler and the app.
RAW_TARGET = "bitget_nb.raw_target"  # the request-target bytes exactly as received
BODY_CONSUMED = "bitget_nb.body_consumed"  # the app read the whole body: keep-alive is safe
#: Set by the app to the seconds to hold before closing the connection without an answer.
CLOSE_UNANSWERED = "bitget_nb.close_unanswered"
#: The server's "closing" event, so that held requests and latency wake up on close.
STOPPING = "bitget_nb.stopping"

_READ_CHUNK = 65_536
#: After an answer that left the body unread (413, unknown path …) the server reads and drops
#: up to this much so the client sees the answer rather than a reset connection.
_DRAIN_BYTES = 64 * 1024 * 1024
_DRAIN_SECONDS = 2.0
_JOIN_SECONDS = 5.0


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
        limiter: SlidingWindowLimiter | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.venue = venue
        self.faults = faults if faults is not None else Faults()
        self.timestamp_window_ms = timestamp_window_ms
        self.rate_limits = rate_limits
        self.max_body_bytes = max_body_bytes
        self.limiter = limiter or SlidingWindowLimiter()
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
            return self._fault(fault, environ)  # refused, but the client never learns it
        if fault is not None:
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
    take a bare array, the others an object."""
    if not body.strip():
        return [] if endpoint.batch_body else {}
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ExchangeError(defaults.BAD_BODY_CODE, detail="the body is not valid JSON") from None
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
    """

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and
    # the peer's delayed ACK would hold the body back ~40 ms on every keep-alive request.
    disable_nagle_algorithm = True
    server: ExchangeServer

    def setup(self) -> None:
        self.timeout = self.server.idle_timeout
        super().setup()

    def run_wsgi(self) -> None:
        environ = self.make_environ()
        environ[RAW_TARGET] = self.path.encode("latin-1", "replace")
        environ[STOPPING] = self.server.stopping
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            length = self.headers.get("Content-Length", "0").strip()
            if length.isdigit() and int(length) <= self.server.app.max_body_bytes:
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = self.server.app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        hold = environ.get(CLOSE_UNANSWERED)
        if hold is not None:
            self._close_unanswered(float(hold))
            return
        code_text, _, reason = captured["status"].partition(" ")
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        no_body = not chunked and self.headers.get("Content-Length", "0").strip() in ("", "0")
        consumed = no_body or bool(environ.get(BODY_CONSUMED))
        self.send_response(int(code_text), reason or None)
        for name, value in captured["headers"]:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if not consumed or self.close_connection:
            self.send_header("Connection", "close")
        elif self.request_version == "HTTP/1.0":
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
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


class ExchangeServer(ThreadedWSGIServer):
    """A threaded Werkzeug server that knows its connections and closes them all.

    Built on a socket bound here (not by Werkzeug, which prints and exits when a port is
    taken): a busy port raises ``OSError`` like any other socket error.
    """

    daemon_threads = True

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
        self._connections: dict[socket.socket, threading.Thread] = {}
        # Every connection thread still running: a thread drops its socket from
        # _connections (shutdown_request) a moment before it ends, so close() joins these
        # rather than only the threads whose sockets are still open.
        self._conn_threads: set[threading.Thread] = set()
        self._connections_lock = threading.Lock()
        self._serving: threading.Thread | None = None
        self._closed = False
        #: Set on close: held requests and injected latency stop waiting.
        self.stopping = threading.Event()
        family = select_address_family(host, port)
        listener = socket.create_server((host, port), family=family)
        try:
            super().__init__(host, port, app, handler=_Handler, fd=listener.fileno())
        finally:
            listener.close()
        self.app: ExchangeApp = app

    # -- connections --------------------------------------------------------------------------

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"bitget_nb-exchange-conn-{self.port}",
            daemon=True,
        )
        with self._connections_lock:
            self._connections[request] = thread
            self._conn_threads = {t for t in self._conn_threads if t.is_alive()}
            self._conn_threads.add(thread)
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("error while serving %s", client_address, exc_info=True)

    @property
    def open_connections(self) -> int:
        with self._connections_lock:
            return len(self._connections)

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Serve in a background thread."""
        self._serving = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
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
        if self._serving is not None:
            self.shutdown()
            self._serving.join(_JOIN_SECONDS)
        with self._connections_lock:
            open_now = list(self._connections.items())
        for sock, _thread in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with self._connections_lock:
            threads = list(self._conn_threads)
        for thread in threads:
            thread.join(_JOIN_SECONDS)
        self.server_close()
