"""HTTP helpers for the local exchange tests: a signing client and envelope checks.

Requests go over real HTTP on 127.0.0.1 with plain ``requests``, signed with
``bitget_nb.signing`` — the tests do not depend on the client package.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

from bitget_nb.exchange import LocalExchange
from bitget_nb.exchange.clock import to_ms
from bitget_nb.signing import compact_json, encode_query, sign

#: A fixed start for the manual clock: every run sees the same market.
START = "2025-06-01T12:00:00Z"
START_MS = to_ms(START)


class Wire:
    """Signed and unsigned requests to one exchange, returning ``requests.Response``."""

    def __init__(self, exchange: LocalExchange) -> None:
        self.exchange = exchange
        self.session = requests.Session()

    @property
    def url(self) -> str:
        return self.exchange.base_url

    def key(self, which: str) -> Mapping[str, str]:
        return self.exchange.read_only_credentials if which == "ro" else self.exchange.credentials

    def auth_headers(
        self,
        method: str,
        path: str,
        query: str = "",
        body: str | bytes = "",
        *,
        key: str = "rw",
        timestamp: int | None = None,
    ) -> dict[str, str]:
        creds = self.key(key)
        ts = str(self.exchange.now_ms() if timestamp is None else timestamp)
        return {
            "ACCESS-KEY": creds["api_key"],
            "ACCESS-SIGN": sign(creds["api_secret"], ts, method, path, query, body),
            "ACCESS-TIMESTAMP": ts,
            "ACCESS-PASSPHRASE": creds["api_pass"],
            "Content-Type": "application/json",
            "locale": "en-US",
        }

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        query: str | None = None,
        signed: bool = False,
        key: str = "rw",
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """GET ``path``; ``query`` is sent verbatim, else ``params`` are encoded and sorted."""
        text = query if query is not None else encode_query(params)
        all_headers = self.auth_headers("GET", path, text, key=key) if signed else {}
        all_headers.update(headers or {})
        target = self.url + path + (f"?{text}" if text else "")
        return self.session.get(target, headers=all_headers, timeout=10)

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        raw: bytes | str | None = None,
        signed: bool = True,
        key: str = "rw",
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """POST ``path`` with ``body`` as compact JSON, or ``raw`` bytes exactly."""
        if raw is not None:
            data = raw.encode() if isinstance(raw, str) else raw
        else:
            data = compact_json(body).encode() if body is not None else b""
        all_headers = self.auth_headers("POST", path, "", data, key=key) if signed else {}
        all_headers.update(headers or {})
        return self.session.post(self.url + path, data=data, headers=all_headers, timeout=10)


def envelope(response: requests.Response) -> dict[str, Any]:
    """The decoded Bitget envelope, checked for shape."""
    assert response.headers["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"code", "msg", "requestTime", "data"}, body
    assert isinstance(body["code"], str) and isinstance(body["msg"], str)
    assert isinstance(body["requestTime"], int) and not isinstance(body["requestTime"], bool)
    return body


def ok_data(response: requests.Response) -> Any:
    """``data`` of a successful answer."""
    body = envelope(response)
    assert response.status_code == 200, body
    assert body["code"] == "00000" and body["msg"] == "success", body
    return body["data"]


def error_code(response: requests.Response, status: int = 400) -> str:
    """``code`` of an error answer with HTTP ``status`` (``data`` must be null)."""
    body = envelope(response)
    assert response.status_code == status, (response.status_code, body)
    assert body["data"] is None
    return body["code"]


#: Keys a list answer may carry as JSON null: an empty ``list``, the last page's ``cursor``
#: (spec §10.2).
NULLABLE = frozenset({"list", "cursor"})


def assert_all_strings(value: Any, where: str = "data") -> None:
    """Every scalar inside ``value`` is a string (spec §4.0: numbers travel as strings), but
    for the :data:`NULLABLE` keys of a list answer."""
    if isinstance(value, dict):
        for k, v in value.items():
            if v is None and k in NULLABLE:
                continue
            assert_all_strings(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            assert_all_strings(v, f"{where}[{i}]")
    else:
        assert isinstance(value, str), f"{where} is {value!r}, not a string"
