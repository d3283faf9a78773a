"""``connect("local", fresh=True)``: a new paper account on every call, the persistent one
left alone (what the tutorials stand on)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import bitget_nb as bg
from bitget_nb import connection

START = "2026-01-05T00:00:00Z"
START_MS = 1_767_571_200_000
RESTING = {
    "category": "USDT-FUTURES",
    "symbol": "ETHUSDT",
    "side": "buy",
    "orderType": "limit",
    "qty": "0.1",
    "price": "2000",
    "clientOid": "seed-tpsl-1",
}


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """This test's own embedded exchange (the process's one is put back afterwards)."""
    for var in ("BITGET_NB_ENV", "BITGET_NB_LOCAL_URL", "BITGET_NB_DATA"):
        monkeypatch.delenv(var, raising=False)
    for var in ("BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BITGET_NB_SEED", "7")
    monkeypatch.setenv("BITGET_NB_START", START)
    monkeypatch.setattr(connection, "_default", None)
    yield monkeypatch
    connection._close_default()


def test_fresh_starts_a_new_funded_account_on_every_call(embedded):
    first = bg.connect("local", fresh=True)
    first.set_hold_mode(holdMode="hedge_mode")
    first.submit_new_order({**RESTING, "posSide": "long"})
    bg.default_exchange().advance(hours=1)

    again = bg.connect("local", fresh=True)  # a second Run All
    assert again.get_unfilled_orders(category="USDT-FUTURES").empty
    assert again.hold_mode() == "one_way_mode"
    assert bg.default_exchange().now_ms() == START_MS  # the same start, the same market
    assert again.base_url == bg.default_exchange().base_url != first.base_url
    again.submit_new_order(RESTING)  # the fixed clientOid is free again
    with pytest.raises(bg.TransportError):
        first.get_server_time()  # the exchange before it is stopped
    first.close()
    again.close()


def test_fresh_never_opens_or_changes_the_persistent_account(embedded, tmp_path: Path):
    account = tmp_path / "paper-account.sqlite3"
    embedded.setenv("BITGET_NB_DATA", str(account))
    mine = bg.connect()  # a user's own notebook: the persistent account
    assert bg.default_exchange().path == account
    mine.submit_new_order(RESTING)

    tutorial = bg.connect("local", fresh=True)
    assert bg.default_exchange().path is None
    assert tutorial.get_unfilled_orders(category="USDT-FUTURES").empty
    tutorial.submit_new_order(RESTING)
    tutorial.close()
    mine.close()

    with bg.LocalExchange(path=account) as reopened:  # the file was let go of, unchanged
        open_orders = reopened.venue.trading.store.newest_orders()
        assert [o.client_oid for o in open_orders] == ["seed-tpsl-1"]


def test_fresh_does_not_use_a_shared_local_exchange(embedded):
    with bg.LocalExchange(seed=2) as shared:
        embedded.setenv("BITGET_NB_LOCAL_URL", shared.base_url)
        for name, value in shared.credentials.items():
            embedded.setenv(f"BITGET_{name.upper()}", value)
        assert bg.connect().base_url == shared.base_url
        with bg.connect("local", fresh=True) as tutorial:
            assert tutorial.base_url == bg.default_exchange().base_url != shared.base_url


@pytest.mark.parametrize("env", ["demo", "live"])
def test_fresh_is_refused_for_bitget_itself(embedded, env):
    with pytest.raises(bg.ConfigurationError, match=r"connect\('local', fresh=True\)"):
        bg.connect(env, fresh=True)
    embedded.setenv("BITGET_NB_ENV", env)
    with pytest.raises(bg.ConfigurationError, match="cannot be started over"):
        bg.connect(fresh=True)
    assert connection._default is None  # nothing was started
