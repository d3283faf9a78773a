"""Widgets driven from Python (``.value``, ``.click()``) against a real local exchange, with
every request the client sends captured by a ``requests`` response hook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w
import pytest
import requests

import bitget_nb as bg

START = "2026-01-05T00:00:00Z"


@dataclass
class Wire:
    """What went over the wire: (method, path, body bytes) per answered request, and every
    ``ACCESS-SIGN`` header sent."""

    requests: list[tuple[str, str, bytes]] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        path = request.path_url.split("?", 1)[0]
        self.requests.append((request.method or "", path, request.body or b""))
        if "ACCESS-SIGN" in request.headers:
            self.signatures.append(str(request.headers["ACCESS-SIGN"]))

    def bodies(self, path: str) -> list[bytes]:
        """Bodies of the POSTs to ``path`` that got an answer."""
        return [body for method, p, body in self.requests if method == "POST" and p == path]

    def payloads(self, path: str) -> list[dict[str, Any]]:
        return [json.loads(body) for body in self.bodies(path)]


PLACE = "/api/v3/trade/place-order"


@pytest.fixture
def exchange() -> Iterator[bg.LocalExchange]:
    with bg.LocalExchange(seed=7, start_time=START) as ex:
        yield ex


@pytest.fixture
def wire() -> Wire:
    return Wire()


def make_client(exchange: bg.LocalExchange, wire: Wire, **options: Any) -> bg.BitgetClient:
    session = requests.Session()
    session.hooks["response"].append(wire.hook)
    return bg.BitgetClient(
        **exchange.credentials, base_url=exchange.base_url, session=session, **options
    )


@pytest.fixture
def client(exchange: bg.LocalExchange, wire: Wire) -> Iterator[bg.BitgetClient]:
    with make_client(exchange, wire) as c:
        yield c


def store(exchange: bg.LocalExchange):
    return exchange.venue.trading.store


def text_of(widget: w.HTML) -> str:
    """An HTML widget's value without tags (what a reader sees)."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", " ", widget.value))
