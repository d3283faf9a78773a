"""An in-process transport: each request goes straight to the local exchange's WSGI app —
same bytes, same signing, same envelopes, no sockets.

Backtests use it for speed (:func:`bitget_nb.backtest.run`); HTTP stays the default
everywhere else. :class:`InProcessSession` is a ``requests.Session`` whose
:meth:`~InProcessSession.request` builds the WSGI environ from what the client's transport
hands it (method, URL, headers, body) and returns a ``requests.Response``: it skips the
preparation ``requests`` does for the network (environment proxies, cookies, hooks,
adapters), which was about a quarter of a backtest step. The request target is passed on
exactly as sent (the exchange verifies the signature over the query string as it went out,
spec §1.3). Faults injected on the exchange (``ex.faults``) happen here too: an answer
lost, cut or undecodable raises what ``requests`` raises over HTTP.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from io import BytesIO
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from .http import CLOSE_UNANSWERED, DAMAGE, RAW_TARGET, call_app

__all__ = ["InProcessSession", "in_process_session"]

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class InProcessSession(requests.Session):
    """A session whose requests under ``base_url`` are answered by a WSGI app in this
    process. It ignores proxy settings of the environment (no request leaves the process)
    and refuses a URL outside ``base_url``."""

    def __init__(self, app: WSGIApp, base_url: str) -> None:
        super().__init__()
        self.trust_env = False
        self.app = app
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self._server = (parts.hostname or "127.0.0.1", str(parts.port or 80))
        self._scheme = parts.scheme or "http"

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        *,
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | tuple[float | None, float | None] | None = None,
        **_network_options: Any,  # allow_redirects …: nothing to follow
    ) -> requests.Response:
        if not url.startswith(self.base_url + "/"):
            raise requests.exceptions.InvalidURL(f"{url} is not under {self.base_url}")
        target = url[len(self.base_url) :]
        body = data.encode("utf-8") if isinstance(data, str) else (data or b"")
        environ = self._environ(method, target, headers or {}, body)
        status, response_headers, content = call_app(self.app, environ)
        _raise_injected(environ, timeout, url)
        response = requests.Response()
        code, _, reason = status.partition(" ")
        response.status_code = int(code)
        response.reason = reason
        response.headers = CaseInsensitiveDict(response_headers)
        response._content = content
        response.url = url
        response.encoding = "utf-8"
        return response

    def _environ(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, Any]:
        """The WSGI environ of one request (PEP 3333), as a server would build it."""
        path, _, query = target.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method.upper(),
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": self._server[0],
            "SERVER_PORT": self._server[1],
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self._scheme,
            "wsgi.input": BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
            RAW_TARGET: target.encode("latin-1", "replace"),
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = str(value)
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = str(value)
        return environ


def _raise_injected(
    environ: Mapping[str, Any],
    timeout: float | tuple[float | None, float | None] | None,
    url: str,
) -> None:
    """What ``requests`` raises over HTTP when the exchange's injected fault (``ex.faults``)
    closes the connection unanswered or damages the answer (:mod:`.faults`): the exchange's
    state is already what it would be, only the wait is skipped (a backtest's time is not
    the wall clock's).

    * held and closed unanswered (``timeout``, ``drop``): ``ReadTimeout`` when the hold
      reaches the client's read timeout, else ``ConnectionError``;
    * cut in the middle (``truncate``): ``ChunkedEncodingError``;
    * marked gzip but not (``bad_gzip``): ``ContentDecodingError``.
    """
    hold = environ.get(CLOSE_UNANSWERED)
    if hold is not None:
        read = timeout[1] if isinstance(timeout, tuple) else timeout
        if read is not None and float(hold) >= read:
            raise requests.exceptions.ReadTimeout(
                f"{url}: no answer within the read timeout ({read} s)"
            )
        raise requests.exceptions.ConnectionError(
            f"{url}: the connection was closed without an answer"
        )
    damage = environ.get(DAMAGE)
    if damage == "truncate":
        raise requests.exceptions.ChunkedEncodingError(
            f"{url}: connection broken: the answer ended before its Content-Length"
        )
    if damage == "bad_gzip":
        raise requests.exceptions.ContentDecodingError(
            f"{url}: the answer says Content-Encoding gzip but is not gzip"
        )


def in_process_session(app: WSGIApp, base_url: str) -> InProcessSession:
    """A session whose requests to ``base_url`` go to ``app`` in this process."""
    return InProcessSession(app, base_url)
