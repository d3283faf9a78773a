"""The WebSocket front of the local exchange: Bitget's V3 WebSocket on 127.0.0.1.

:class:`WsServer` runs a ``websockets`` asyncio server on its own event loop in its own
thread, on one port, serving every path of :data:`~.defaults.WS_PATHS` the same way (the
Node SDK's ``wsUrl`` sends public and private traffic to one URL, spec WS §1.1). Per
connection it handles the transport (``shared/spec/bitget-v3-ws.md``, cited as WS):

* the text heartbeat: ``ping`` → ``pong`` (WS §1.2), answered on the loop at once;
* the idle timeout: a connection with no inbound frame for ``idle_timeout`` seconds is
  closed (WS §1.2, :data:`~.defaults.WS_IDLE_TIMEOUT_SECONDS`);
* junk: a binary frame, text that is not JSON or JSON that is not an object gets an error
  event (``30002``) and the connection lives on;
* every JSON operation goes, in arrival order, to ONE worker thread that runs
  :meth:`.ws_feed.Feed.handle` — login, subscriptions, trading — so a connection's frames
  leave in the order the feed made them (each connection has one outbox, sent by one task);
* with the wall clock, a timer on the loop asks the feed to move the market every
  :data:`~.defaults.WS_TICK_SECONDS` while anything is subscribed (a manual clock pushes
  when ``ex.advance`` moves it: the feed follows the ``ClockMoved`` event).

:meth:`WsServer.close` closes every connection (1001), stops the loop and joins both
threads. The library never prints: log lines go to the ``bitget_nb.exchange`` logger.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import http
import json
import logging
import secrets
import threading
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from . import defaults
from . import ws_records as wr
from .venue import Caller, Venue
from .ws_feed import Channel, Feed

__all__ = ["WsServer"]

logger = logging.getLogger("bitget_nb.exchange")

_START_SECONDS = 10.0
_JOIN_SECONDS = 10.0
#: Sentinel in an outbox: close the connection (after the frames before it).
_CLOSE = object()


class _Connection:
    """One client connection: the feed's :class:`~.ws_feed.Sink` and its outbox."""

    def __init__(self, ws: ServerConnection, loop: asyncio.AbstractEventLoop) -> None:
        self.ws = ws
        self.loop = loop
        self.conn_id = secrets.token_hex(5)
        # The feed's (worker thread):
        self.caller: Caller | None = None
        self.channels: dict[Channel, dict[str, Any]] = {}
        # The loop's:
        self.outbox: asyncio.Queue[Any] = asyncio.Queue()
        self.closing: tuple[float, int, str] | None = None

    # -- the Sink protocol (any thread) -------------------------------------------------------

    def send(self, text: str) -> None:
        self._threadsafe(self._put, text)

    def close_soon(self, delay: float, reason: str) -> None:
        self._threadsafe(self._close_after, delay, 1000, reason)

    def _threadsafe(self, function: Callable[..., None], *args: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(function, *args)
        except RuntimeError:  # the loop is closed: the connection is gone with it
            logger.debug("websocket %s: frame dropped after shutdown", self.conn_id)

    # -- the loop's side ----------------------------------------------------------------------

    def _put(self, item: Any) -> None:
        if self.closing is not None:
            return
        if self.outbox.qsize() >= defaults.WS_OUTBOX_MAX:
            logger.debug("websocket %s: outbox full, closing", self.conn_id)
            self._close_after(0.0, 1008, "client too slow")
            return
        self.outbox.put_nowait(item)

    def _close_after(self, delay: float, code: int, reason: str) -> None:
        if self.closing is None:
            self.closing = (delay, code, reason)
            self.outbox.put_nowait(_CLOSE)

    async def pump(self) -> None:
        """Send the outbox in order until the connection closes."""
        while True:
            item = await self.outbox.get()
            if item is _CLOSE:
                assert self.closing is not None
                delay, code, reason = self.closing
                await asyncio.sleep(delay)
                await self.ws.close(code, reason)
                return
            await self.ws.send(item)


class WsServer:
    """Bitget's V3 WebSocket over ``venue`` on ``host:port`` (0: a free port).

    ``tick_seconds`` is the wall clock's market timer (``None`` with a manual clock);
    ``idle_timeout`` closes silent connections; ``scheduled_push_ms`` the periodic
    account/position pushes (``None``: off).

    >>> from bitget_nb.exchange.clock import ManualClock
    >>> server = WsServer(Venue(clock=ManualClock(1_748_736_000_000)), tick_seconds=None)
    >>> server.start().url.startswith("ws://127.0.0.1:")
    True
    >>> server.close()
    """

    def __init__(
        self,
        venue: Venue,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tick_seconds: float | None = defaults.WS_TICK_SECONDS,
        idle_timeout: float = defaults.WS_IDLE_TIMEOUT_SECONDS,
        scheduled_push_ms: int | None = None,
    ) -> None:
        self.venue = venue
        self.host = host
        self.port = port
        self.tick_seconds = tick_seconds
        self.idle_timeout = idle_timeout
        self._scheduled_push_ms = scheduled_push_ms
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._worker: concurrent.futures.ThreadPoolExecutor | None = None
        self._feed: Feed | None = None
        self._connections: set[_Connection] = set()
        self._ticking = False

    @property
    def url(self) -> str:
        """``ws://host:port/v3/ws/private`` (every path of :data:`~.defaults.WS_PATHS`
        serves public and private traffic alike)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}{defaults.WS_PATHS[0]}"

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> WsServer:
        """Bind, then serve on a thread of its own; returns once the port is bound."""
        if self._thread is not None:
            return self
        self._worker = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="bitget_nb-exchange-ws-feed"
        )
        self._feed = Feed(
            self.venue, submit=self._submit, scheduled_push_ms=self._scheduled_push_ms
        )
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name="bitget_nb-exchange-ws", daemon=True
        )
        self._thread.start()
        if not ready.wait(_START_SECONDS) or failure:
            self.close()
            if failure:
                raise failure[0]
            raise RuntimeError("the WebSocket server did not start")
        return self

    def close(self) -> None:
        """Close every connection, stop the loop, join the threads (idempotent)."""
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()
        loop, stop, thread = self._loop, self._stop, self._thread
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stop.set)
        if thread is not None:
            thread.join(_JOIN_SECONDS)
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.shutdown(wait=True, cancel_futures=True)
        self._thread = self._loop = self._stop = None

    def drop_connections(self, reason: str = "dropped by the exchange") -> int:
        """Fault hook for tests: close every open connection from the server's side (code
        1012, after the frames already queued) and keep serving; returns how many there
        were. The only hook of its kind here: the client's reconnect is tested with it."""
        loop = self._loop
        connections = list(self._connections)
        if loop is not None:
            for conn in connections:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(conn._close_after, 0.0, 1012, reason)
        return len(connections)

    def _submit(self, job: Callable[[], None]) -> None:
        worker = self._worker
        if worker is None:
            raise RuntimeError("the WebSocket server is closed")
        worker.submit(self._guarded, job)

    @staticmethod
    def _guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:
            logger.exception("websocket feed job failed")

    # -- the loop thread ----------------------------------------------------------------------

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main(ready))
        except BaseException as exc:
            failure.append(exc)
            ready.set()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self, ready: threading.Event) -> None:
        self._stop = asyncio.Event()
        async with serve(
            self._serve,
            self.host,
            self.port,
            process_request=self._check_path,
            ping_interval=None,  # Bitget's heartbeat is the text ping (WS §1.2)
            max_size=defaults.WS_MAX_FRAME_BYTES,
            logger=logger,
        ) as server:
            self.port = _bound_port(server)
            ready.set()
            timer = asyncio.create_task(self._timer()) if self.tick_seconds else None
            await self._stop.wait()
            if timer is not None:
                timer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await timer
            server.close()  # 1001 to every connection
            await server.wait_closed()

    @staticmethod
    def _check_path(connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path.rstrip("/") in defaults.WS_PATHS:
            return None
        return connection.respond(
            http.HTTPStatus.NOT_FOUND, f"no WebSocket here; use {defaults.WS_PATHS[0]}\n"
        )

    async def _timer(self) -> None:
        """The wall clock's market: a catch-up and the pushes it makes, one at a time."""
        assert self.tick_seconds is not None
        while True:
            await asyncio.sleep(self.tick_seconds)
            feed = self._feed
            if feed is None or self._ticking or not feed.subscribed:
                continue
            self._ticking = True
            try:
                self._submit(functools.partial(self._tick, feed))
            except RuntimeError:
                self._ticking = False

    def _tick(self, feed: Feed) -> None:
        try:
            feed.tick()
        finally:
            self._ticking = False

    async def _serve(self, ws: ServerConnection) -> None:
        conn = _Connection(ws, asyncio.get_running_loop())
        self._connections.add(conn)
        pump = asyncio.create_task(conn.pump())
        try:
            while True:
                try:
                    frame = await asyncio.wait_for(ws.recv(), self.idle_timeout)
                except TimeoutError:
                    conn._close_after(0.0, 1000, "idle timeout")
                    break
                except ConnectionClosed:
                    break
                self._dispatch(conn, frame)
            if conn.closing is not None:  # our close: let the pump send what precedes it
                with contextlib.suppress(TimeoutError, ConnectionClosed):
                    await asyncio.wait_for(asyncio.shield(pump), _JOIN_SECONDS)
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await pump
            self._connections.discard(conn)
            feed = self._feed
            if feed is not None:
                with contextlib.suppress(RuntimeError):
                    self._submit(lambda: feed.drop(conn))

    def _dispatch(self, conn: _Connection, frame: str | bytes) -> None:
        """One inbound frame: the heartbeat here, JSON operations to the worker."""
        if isinstance(frame, bytes):
            conn._put(_junk(conn, "text frames only"))
            return
        if frame == "ping":
            conn._put("pong")
            return
        try:
            message = json.loads(frame)
        except ValueError:
            conn._put(_junk(conn, "not JSON"))
            return
        if not isinstance(message, dict):
            conn._put(_junk(conn, "a request is a JSON object"))
            return
        feed = self._feed
        if feed is None:
            return
        try:
            self._submit(lambda: feed.handle(conn, message))
        except RuntimeError:
            logger.debug("websocket %s: request dropped at shutdown", conn.conn_id)


def _junk(conn: _Connection, why: str) -> str:
    return wr.dumps(
        {"event": "error", "code": 30002, "msg": f"{wr.WS_CODES[30002]}: {why}",
         "connId": conn.conn_id}
    )  # fmt: skip


def _bound_port(server: Server) -> int:
    for sock in server.sockets:
        return int(sock.getsockname()[1])
    raise RuntimeError("the WebSocket server has no socket")
