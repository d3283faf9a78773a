"""An in-process transport: ``requests`` hands each prepared request straight to the local
exchange's WSGI app — same bytes, same signing, same envelopes, no sockets.

Backtests use it for speed (:func:`bitget_nb.backtest.run`); HTTP stays the default
everywhere else. The request target is passed on exactly as sent (the exchange verifies the
signature over the query string as it went out, spec §1.3).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from io import BytesIO
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from werkzeug.test import run_wsgi_app

from .http import RAW_TARGET

__all__ = ["WSGIAdapter", "in_process_session"]

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class WSGIAdapter(BaseAdapter):
    """A ``requests`` adapter that answers from a WSGI app in this process."""

    def __init__(self, app: WSGIApp) -> None:
        super().__init__()
        self.app = app

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        body = request.body or b""
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        environ = _environ(request.method or "GET", url, request.headers, data)
        environ[RAW_TARGET] = (request.path_url or "/").encode("latin-1", "replace")
        app_iter, status, headers = run_wsgi_app(self.app, environ)
        try:
            content = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        response = requests.Response()
        code, _, reason = status.partition(" ")
        response.status_code = int(code)
        response.reason = reason
        response.headers = CaseInsensitiveDict(dict(headers.items()))
        response._content = content
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        """Nothing to release: no connections were opened."""


def _environ(method: str, url: SplitResult, headers: Mapping[str, str], body: bytes) -> dict:
    """The WSGI environ of one request (PEP 3333), as a server would build it."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(url.path, "latin-1"),
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "127.0.0.1",
        "SERVER_PORT": str(url.port or 80),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme or "http",
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key != "CONTENT_LENGTH":
            environ[f"HTTP_{key}"] = value
    return environ


def in_process_session(app: WSGIApp, base_url: str) -> requests.Session:
    """A session whose requests to ``base_url`` go to ``app`` in this process. It ignores
    proxy settings of the environment (``trust_env`` off): no request leaves the process."""
    session = requests.Session()
    session.trust_env = False
    session.mount(base_url.rstrip("/") + "/", WSGIAdapter(app))
    return session
