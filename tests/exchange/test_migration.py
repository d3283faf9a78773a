"""Files of other versions: a 0.1.0 account converted once, schemas migrated forward.

``data/paper-0.1.0.sqlite3`` (manual clock) and ``data/paper-0.1.0-wall.sqlite3`` (wall
clock) were written by the 0.1.0 code (``data/README.md`` says how); the values below are
what that code showed for them (``python -m bitget_nb export``).
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bitget_nb.__main__ import main
from bitget_nb.exchange import LocalExchange, PaperAccountError, WallClock, persistence
from bitget_nb.exchange.canonical import export_tables
from bitget_nb.exchange.persistence import BACKUP_SUFFIX, export_file

FIXTURE = Path(__file__).parent / "data" / "paper-0.1.0.sqlite3"
#: The same account in the row format of schema 2 (the 0.1.0 fixture converted by this code).
ROWS_FIXTURE = Path(__file__).parent / "data" / "paper-rows-2.sqlite3"
#: The same account in the row format of schema 3 (the schema-2 fixture migrated by the code
#: of commit 33f460c), the last schema without the account ledger.
ROWS_3_FIXTURE = Path(__file__).parent / "data" / "paper-rows-3.sqlite3"
KEY = {"api_key": "bg_" + "0" * 31 + "1", "api_secret": "f" * 64, "api_pass": "fixturePass0100"}
NOW_MS = 1_748_736_120_000

# (orderId, clientOid, orderStatus, cumExecQty, feeDetail) as 0.1.0 exported them.
ORDERS = [
    ("1318852686763424176", "fx-rest", "live", "0", "{}"),
    ("1318852686763424177", "fx-near", "filled", "0.01", '{"BTC": "0.00001000"}'),
    ("1318852686763424178", "fx-cancel", "cancelled", "0", "{}"),
    ("1318852686763424179", "fx-mkt-buy", "filled", "0.007374", '{"BTC": "0.00000737"}'),
    ("1318852686763424180", "fx-mkt-sell", "filled", "0.002", '{"USDT": "0.13561102"}'),
    ("1318852686763424181", "fx-perp", "filled", "0.01", '{"USDT": "0.40695540"}'),
    ("1318852686763424182", "fx-eth", "filled", "0.1", '{"USDT": "0.20244540"}'),
]
# (execId, orderId, execQty, execPrice, fee)
FILLS = [
    ("1647002136263478671", "1318852686763424179", "0.007374", "67805.53", "0.00000737"),
    ("1647002136263478672", "1318852686763424180", "0.002", "67805.51", "0.13561102"),
    ("1647002136263478673", "1318852686763424181", "0.01", "67825.9", "0.40695540"),
    ("1647002136263478674", "1318852686763424182", "0.1", "3374.09", "0.20244540"),
    ("1647002136263478675", "1318852686763424177", "0.01", "67805.50", "0.00001000"),
]
# (account, coin, available, locked)
BALANCES = [
    ("unified", "BTC", "1.01535663", "0.000"),
    ("unified", "ETH", "10", "0"),
    ("unified", "USDT", "98055.24622996", "601.56680000"),
    ("lead", "USDT", "300", "0"),
]
# (orderId, clientOid, triggerType, status)
STRATEGY_ORDERS = [
    ("1772626833257002373", "auto-1772626833257002373", "stopLoss", "pending"),
    ("1772626833257002374", "fx-tpsl", "takeProfit", "pending"),
    ("1772626833257002374", "fx-tpsl", "stopLoss", "pending"),
]
# (positionId, status, symbol, posSide, size, lead)
POSITIONS = [
    ("1016730533566309382", "open", "BTCUSDT", "long", "0.01", "YES"),
    ("1016730533566309383", "open", "ETHUSDT", "short", "0.1", "YES"),
]
TRANSFERS = [("1057093912913453988", "300")]


def _as_0_1_0_showed(tables: dict[str, list[dict[str, str]]]) -> dict[str, list[tuple[str, ...]]]:
    def pick(name: str, *fields: str) -> list[tuple[str, ...]]:
        return [tuple(row[f] for f in fields) for row in tables[name]]

    return {
        "orders": pick("orders", "orderId", "clientOid", "orderStatus", "cumExecQty", "feeDetail"),
        "fills": pick("fills", "execId", "orderId", "execQty", "execPrice", "fee"),
        "balances": pick("balances", "account", "coin", "available", "locked"),
        "strategy_orders": pick("strategy_orders", "orderId", "clientOid", "triggerType", "status"),
        "positions": pick("positions", "positionId", "status", "symbol", "posSide", "size", "lead"),
        "transfers": pick("transfers", "transferId", "amount"),
    }


EXPECTED = {
    "orders": ORDERS,
    "fills": FILLS,
    "balances": BALANCES,
    "strategy_orders": STRATEGY_ORDERS,
    "positions": POSITIONS,
    "transfers": TRANSFERS,
}


WALL_FIXTURE = Path(__file__).parent / "data" / "paper-0.1.0-wall.sqlite3"
#: The same script on the wall clock (what ``bg.connect()``'s embedded account runs on):
#: other prices, so other fills and balances, as 0.1.0 exported them.
WALL_EXPECTED = {
    "orders": [
        ("1318852686763424176", "fx-rest", "live", "0", "{}"),
        ("1318852686763424177", "fx-near", "filled", "0.01", '{"BTC": "0.00001000"}'),
        ("1318852686763424178", "fx-cancel", "cancelled", "0", "{}"),
        ("1318852686763424179", "fx-mkt-buy", "filled", "0.007393", '{"BTC": "0.00000739"}'),
        ("1318852686763424180", "fx-mkt-sell", "filled", "0.002", '{"USDT": "0.13524624"}'),
        ("1318852686763424181", "fx-perp", "filled", "0.01", '{"USDT": "0.40586100"}'),
        ("1318852686763424182", "fx-eth", "filled", "0.1", '{"USDT": "0.19592220"}'),
    ],
    "fills": [
        ("1647002136263478671", "1318852686763424179", "0.007393", "67623.13", "0.00000739"),
        ("1647002136263478672", "1318852686763424180", "0.002", "67623.12", "0.13524624"),
        ("1647002136263478673", "1318852686763424181", "0.01", "67643.5", "0.40586100"),
        ("1647002136263478674", "1318852686763424182", "0.1", "3265.37", "0.19592220"),
        ("1647002136263478675", "1318852686763424177", "0.01", "67623.10", "0.00001000"),
    ],
    "balances": [
        ("unified", "BTC", "1.01537561", "0.000"),
        ("unified", "ETH", "10", "0"),
        ("unified", "USDT", "98058.04321047", "600.29720000"),
        ("lead", "USDT", "300", "0"),
    ],
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sql(path: Path, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as con, con:
        return con.execute(statement, params).fetchall()


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    path = tmp_path / "paper.sqlite3"
    shutil.copyfile(FIXTURE, path)
    return path


def test_a_0_1_0_file_opens_with_the_orders_fills_and_balances_it_had(old_file: Path) -> None:
    original = _digest(old_file)
    with LocalExchange(path=old_file) as ex:
        assert _as_0_1_0_showed(export_tables(ex.venue)) == EXPECTED
        assert ex.credentials == KEY and ex.now_ms() == NOW_MS
        countdown = ex.venue.trading.countdown
        assert (countdown.seconds, countdown.deadline_ms) == (60, NOW_MS + 60_000)
        # It goes on trading: the resting order is still on its book.
        inst = ex.venue.catalogue.get("SPOT", "BTCUSDT")
        assert inst is not None
        bids = ex.venue.trading.books.of(inst).bids
        assert [o.client_oid for o in bids] == ["fx-rest"]
    backup = old_file.with_name(old_file.name + BACKUP_SUFFIX)
    assert _digest(backup) == original  # the original, kept beside it
    assert (backup.stat().st_mode & 0o777) == 0o600  # it holds the API secrets
    assert dict(_sql(old_file, "SELECT key, value FROM meta"))["format"] == persistence.FORMAT
    kinds = dict(_sql(old_file, "SELECT kind, COUNT(*) FROM activity GROUP BY kind"))
    assert kinds["call"] == 11 and kinds["advance"] == 1 and kinds["convert"] == 1
    # Converted once: the next open reads rows, and makes no second backup.
    with LocalExchange(path=old_file) as again:
        assert _as_0_1_0_showed(export_tables(again.venue)) == EXPECTED
    assert sorted(p.name for p in old_file.parent.iterdir()) == [old_file.name, backup.name]


def test_a_0_1_0_file_whose_replay_diverges_is_refused_naming_the_command_and_left_untouched(
    old_file: Path,
) -> None:
    # The market buy spends 600 instead of 500: what it did no longer matches its digest.
    _sql(old_file, "UPDATE commands SET params = replace(params, '\"500\"', '\"600\"')")
    before = _digest(old_file)
    with pytest.raises(PaperAccountError, match=r"command #5 \(submit_new_order at \d+ ms\)") as e:
        LocalExchange(path=old_file)
    assert "left as it was" in str(e.value)
    assert _digest(old_file) == before
    assert [p.name for p in old_file.parent.iterdir()] == [old_file.name]  # no backup either


def test_a_0_1_0_file_exports_without_being_converted(old_file: Path) -> None:
    before = _digest(old_file)
    summary, tables = export_file(old_file)
    assert _as_0_1_0_showed(tables) == EXPECTED and summary["nowMs"] == str(NOW_MS)
    assert _digest(old_file) == before


def test_a_0_1_0_file_can_be_reset_and_then_opens_as_a_fresh_account(
    old_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reset", "--data", str(old_file), "--yes"]) == 0
    assert "reset" in capsys.readouterr().out
    with LocalExchange(path=old_file) as ex:
        assert ex.credentials == KEY and ex.now_ms() == NOW_MS
        assert len(ex.venue.trading.store) == 0
        assert str(ex.venue.account.balance("USDT").available) == "100000"


def test_an_older_schema_is_migrated_forward_and_a_newer_one_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "paper.sqlite3"
    LocalExchange(path=path, start_time="2025-06-01T00:00:00Z").close()
    version = persistence.SCHEMA_VERSION

    def add_notes(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE notes (id TEXT PRIMARY KEY, text TEXT)")

    monkeypatch.setattr(persistence, "SCHEMA_VERSION", version + 1)
    monkeypatch.setitem(persistence.MIGRATIONS, version, add_notes)
    with LocalExchange(path=path) as ex:
        assert ex.now_ms() == 1_748_736_000_000
    assert dict(_sql(path, "SELECT key, value FROM meta"))["schema"] == str(version + 1)
    assert _sql(path, "SELECT COUNT(*) FROM notes") == [(0,)]

    monkeypatch.setattr(persistence, "SCHEMA_VERSION", version)
    with pytest.raises(PaperAccountError, match="written by a newer bitget_nb"):
        LocalExchange(path=path)


def test_a_file_in_the_row_format_of_schema_2_opens_with_what_it_holds(tmp_path: Path) -> None:
    """A committed file of the row format: every later version must read it (a forward
    migration where the schema moves on), with the same orders, fills and balances."""
    path = tmp_path / "paper.sqlite3"
    shutil.copyfile(ROWS_FIXTURE, path)
    assert dict(_sql(path, "SELECT key, value FROM meta"))["schema"] == "2"
    with LocalExchange(path=path) as ex:
        assert _as_0_1_0_showed(export_tables(ex.venue)) == EXPECTED
        assert ex.credentials == KEY and ex.now_ms() == NOW_MS
        # Schema 3's clientOid column, filled by the migration, finds a closed order.
        near = ex.venue.call("get_order_info", {"clientOid": "fx-near"}, ex.trader)
        assert near["orderStatus"] == "filled"
    assert not path.with_name(path.name + BACKUP_SUFFIX).exists()  # nothing to convert
    meta = dict(_sql(path, "SELECT key, value FROM meta"))
    assert meta["schema"] == str(persistence.SCHEMA_VERSION) == "5"
    assert _sql(path, "SELECT COUNT(*) FROM orders WHERE client_oid IS NULL") == [(0,)]


def test_a_schema_3_file_gains_an_empty_ledger_that_starts_from_its_balances(
    tmp_path: Path,
) -> None:
    """Schema 3 → 4 adds the ledger table, empty: what happened before is not reconstructed,
    and the ledger runs on from the balances the account had (so each new row's ``balance``
    is the coin's balance after it), through a restart."""
    path = tmp_path / "paper.sqlite3"
    shutil.copyfile(ROWS_3_FIXTURE, path)
    assert dict(_sql(path, "SELECT key, value FROM meta"))["schema"] == "3"
    with LocalExchange(path=path) as ex:
        assert _as_0_1_0_showed(export_tables(ex.venue)) == EXPECTED  # nothing else changed
        call = ex.venue.call
        empty = call("get_financial_records", {"category": "SPOT"}, ex.trader)
        assert empty == {"list": None, "cursor": None}
        usdt = ex.venue.account.balance("USDT").total
        buy = {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "market"}
        ack = call("submit_new_order", {**buy, "qty": "100"}, ex.trader)
        rows = call("get_financial_records", {"category": "SPOT"}, ex.trader)["list"]
        fill = call("get_trade_fills", {"orderId": ack["orderId"]}, ex.trader)["list"][0]
    spent = next(r for r in rows if r["coin"] == "USDT")
    assert spent["type"] == "ORDER_DEALT_FROZEN_OUT" and spent["amount"] == "-" + fill["execValue"]
    assert Decimal(spent["balance"]) == usdt - Decimal(fill["execValue"])
    assert _sql(path, "SELECT COUNT(*) FROM ledger") == [(2,)]
    assert dict(_sql(path, "SELECT key, value FROM meta"))["schema"] == "5"
    # Schema 4 → 5: the indexes a reopened account pages its ledger from the file by.
    indexes = _sql(path, "SELECT name FROM sqlite_master WHERE name LIKE 'ledger_by_%_id'")
    assert sorted(name for (name,) in indexes) == [
        "ledger_by_category_id", "ledger_by_coin_id", "ledger_by_type_id",
    ]  # fmt: skip
    with LocalExchange(path=path) as again:
        after = again.venue.call("get_financial_records", {"category": "SPOT"}, again.trader)
        assert after["list"] == rows
        assert (
            again.venue.trading.ledger.balance("USDT") == again.venue.account.balance("USDT").total
        )


def test_a_0_1_0_wall_clock_file_keeps_its_clock_offset_and_its_switch_fires_on_the_next_call(
    tmp_path: Path,
) -> None:
    path = tmp_path / "paper.sqlite3"
    shutil.copyfile(WALL_FIXTURE, path)
    with LocalExchange(path=path) as ex:
        shown = _as_0_1_0_showed(export_tables(ex.venue))
        assert {name: shown[name] for name in WALL_EXPECTED} == WALL_EXPECTED
        assert isinstance(ex.clock, WallClock) and ex.clock.offset_ms == 120_000  # advance()
        # The 60 s dead man's switch ran out while no exchange had the file: the first call
        # catches up and cancels the resting order — new activity, by this code.
        ex.venue.call("get_unfilled_orders", {}, ex.trader)
        rest = ex.venue.trading.store.by_client_oid("fx-rest")
        assert rest is not None and rest.status == "cancelled"
    with LocalExchange(path=path) as again:
        rest = again.venue.trading.store.by_client_oid("fx-rest")
        assert rest is not None and rest.status == "cancelled"
