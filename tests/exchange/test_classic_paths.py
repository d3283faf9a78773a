"""Classic (pre-UTA) paths over HTTP (spec §10.3, defaults.CLASSIC_PREFIXES): a private one
answers a unified account with 40085 once the request is authenticated; a public one the
exchange does not serve is an unknown path."""

from __future__ import annotations

import pytest

from bitget_nb.errors import CODES

from .wire import Wire, error_code

PRIVATE_GETS = [
    ("/api/v2/spot/account/assets", {}),
    ("/api/v2/mix/account/accounts", {"productType": "USDT-FUTURES"}),
    ("/api/v2/copy/mix-trader/config-query-followers", {}),
    ("/api/mix/v1/account/accounts", {"productType": "umcbl"}),
    ("/api/spot/v1/account/assets", {}),
]
PRIVATE_POSTS = [
    ("/api/v2/mix/order/place-order", {"symbol": "BTCUSDT", "productType": "USDT-FUTURES"}),
    ("/api/margin/v1/cross/order/placeOrder", {"symbol": "BTCUSDT_SPBL"}),
]


@pytest.mark.parametrize(("path", "params"), PRIVATE_GETS)
def test_a_signed_classic_private_get_is_refused_with_40085(
    wire: Wire, path: str, params: dict
) -> None:
    response = wire.get(path, params, signed=True)
    assert error_code(response) == "40085"
    assert response.json()["msg"] == CODES["40085"].message
    assert "Unified Account mode" in response.json()["msg"]


@pytest.mark.parametrize(("path", "body"), PRIVATE_POSTS)
def test_a_signed_classic_private_post_is_refused_with_40085(
    wire: Wire, path: str, body: dict
) -> None:
    assert error_code(wire.post(path, body)) == "40085"


def test_a_classic_private_path_is_authenticated_first(wire: Wire) -> None:
    path = "/api/v2/spot/account/assets"
    assert error_code(wire.get(path)) == "40001"
    headers = wire.auth_headers("GET", path)
    headers["ACCESS-SIGN"] = "not-the-signature"
    response = wire.session.get(wire.url + path, headers=headers, timeout=10)
    assert error_code(response) == "40009"
    assert error_code(wire.post("/api/v2/mix/order/place-order", {"x": 1}, signed=False)) == (
        "40001"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/spot/market/tickers",
        "/api/v2/mix/market/contracts",
        "/api/v2/margin/currencies",
        "/api/spot/v1/public/products",
        "/api/mix/v1/market/ticker",
        "/api/v2/public/annoucements",
    ],
)
def test_a_classic_public_path_not_served_is_an_unknown_path(wire: Wire, path: str) -> None:
    assert error_code(wire.get(path), status=404) == "40404"
    assert error_code(wire.get(path, signed=True), status=404) == "40404"


def test_paths_outside_the_classic_prefixes_stay_unknown(wire: Wire) -> None:
    for path in ("/api/v3/account/no-such-thing", "/api/v1/anything", "/nothing"):
        assert error_code(wire.get(path, signed=True), status=404) == "40404"
