"""A paper account in a SQLite file: reopened, refused, reset, exported, kept across code
changes."""

from __future__ import annotations

import contextlib
import json
import os
import random
import sqlite3
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

import bitget_nb as bg
from bitget_nb import connection
from bitget_nb.__main__ import main
from bitget_nb.exchange import (
    ExchangeError,
    LocalExchange,
    PaperAccountError,
    PaperAccountInUse,
    PaperAccountMismatch,
    defaults,
)
from bitget_nb.exchange.accounts import ApiKey
from bitget_nb.exchange.canonical import canonical_state, export_tables
from bitget_nb.exchange.clock import WallClock
from bitget_nb.exchange.instruments import Catalogue
from bitget_nb.exchange.persistence import export_file, open_journal

from .wire import START, START_MS, Wire, envelope, error_code, ok_data

SECOND, MINUTE, HOUR = 1_000, 60_000, 3_600_000


def _call(ex: LocalExchange, endpoint: str, params: Any) -> Any:
    """A call that may be refused (the refusal is logged too): the data or the error code."""
    try:
        return ex.venue.call(endpoint, params, ex.trader)
    except ExchangeError as exc:
        return exc.code


def _near(ex: LocalExchange, category: str, symbol: str, ticks: int) -> str:
    inst = ex.venue.catalogue.get(category, symbol)
    assert inst is not None
    price = ex.venue.market.price(inst, ex.now_ms()) + ticks * inst.tick
    return inst.price_text(price)


def _place(ex: LocalExchange, category: str, symbol: str, **fields: str) -> Any:
    return _call(ex, "submit_new_order", {"category": category, "symbol": symbol, **fields})


def build_rich_account(ex: LocalExchange) -> None:
    """Spot orders resting, filling and cancelled; futures positions open and closed, with
    attached and placed TP/SL (one fired); copy-trading transfers and a lead position; a
    refused write; settings changed; reads whose catch-ups filled orders; a countdown armed."""
    perp = ("USDT-FUTURES", "BTCUSDT")
    _call(ex, "set_leverage", {"category": perp[0], "symbol": perp[1], "leverage": "20"})
    _call(ex, "copy_futures_transfer", {"type": "in", "coin": "USDT", "amount": "800"})
    for i in range(4):
        for side, sign in (("buy", -1), ("sell", 1)):
            price = _near(ex, "SPOT", "BTCUSDT", sign * (1 + 40 * i))
            _place(ex, "SPOT", "BTCUSDT", side=side, orderType="limit", qty="0.01", price=price,
                   clientOid=f"{side}{i}")  # fmt: skip
    _place(ex, "SPOT", "BTCUSDT", side="buy", orderType="market", qty="900")
    _place(ex, "SPOT", "BTCUSDT", side="sell", orderType="market", qty="0.02")
    take, stop = _near(ex, *perp, 400), _near(ex, *perp, -400)
    _place(ex, *perp, side="buy", orderType="market", qty="0.05", takeProfit=take, stopLoss=stop)
    _place(ex, "USDT-FUTURES", "ETHUSDT", side="sell", orderType="market", qty="0.4")
    _call(ex, "submit_strategy_order", {"category": "USDT-FUTURES", "symbol": "ETHUSDT",
          "posSide": "short", "tpslMode": "full",
          "stopLoss": _near(ex, "USDT-FUTURES", "ETHUSDT", 9000)})  # fmt: skip
    # Refused (below the minimum order value): logged all the same.
    _place(ex, "SPOT", "BTCUSDT", side="buy", orderType="limit", qty="0.01", price="1")
    _call(ex, "modify_order", {"clientOid": "buy3", "price": _near(ex, "SPOT", "BTCUSDT", -300)})
    _call(ex, "cancel_order", {"clientOid": "sell3"})
    eth = {"category": "SPOT", "symbol": "ETHUSDT", "side": "buy", "orderType": "limit"}
    batch = [{**eth, "qty": "0.1", "price": _near(ex, "SPOT", "ETHUSDT", -50)},
             {**eth, "qty": "lots", "price": "3000"}]  # fmt: skip
    _call(ex, "place_batch_orders", batch)
    for _ in range(8):
        # The clock moves without advance() (as a real one does); the read catches up.
        ex.clock.advance(20 * SECOND)
        _call(ex, "get_unfilled_orders", {})
    for _ in range(4):
        ex.advance(minutes=30)
        _call(ex, "get_current_position", {"category": "USDT-FUTURES"})
    _call(ex, "copy_futures_transfer", {"type": "out", "coin": "USDT", "amount": "1.5"})
    # Out of the market's band: rests for good.
    _place(ex, "SPOT", "BTCUSDT", side="buy", orderType="limit", qty="0.01", price="50000")
    _call(ex, "countdown_cancel_all", {"countdown": "30"})


def _sql(path: Path, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    """One statement on a closed paper account file (closed again after)."""
    with contextlib.closing(sqlite3.connect(path)) as con, con:
        return con.execute(statement, params).fetchall()


def _sql_open(ex: LocalExchange, statement: str) -> list[tuple[Any, ...]]:
    """One statement through the open exchange's own connection (the file is locked)."""
    assert ex.venue.journal is not None
    return ex.venue.journal.store.conn.execute(statement).fetchall()


def _kinds(path: Path) -> dict[str, int]:
    """The activity log's rows by kind."""
    return dict(_sql(path, "SELECT kind, COUNT(*) FROM activity GROUP BY kind"))


def test_a_closed_and_reopened_file_rebuilds_the_same_canonical_state(tmp_path: Path) -> None:
    path = tmp_path / "paper.sqlite3"
    ex = LocalExchange(path=path, start_time=START)
    build_rich_account(ex)
    before = canonical_state(ex.venue)
    ex.close()
    assert before["positions"]["open"] and before["positions"]["closed"]
    assert before["strategy_orders"] and before["lead"]["transfers"]
    assert before["countdown"]["deadline_ms"] is not None
    assert {o["status"] for o in before["orders"]} >= {"live", "filled", "cancelled"}
    assert any(f["trade_scope"] == "maker" for f in before["fills"])
    assert {"call", "advance", "tick"} <= set(_kinds(path))

    with LocalExchange(path=path) as again:
        assert canonical_state(again.venue) == before
        assert again.now_ms() == before["clock"]["now_ms"]
    # The activity log is for audit: the account is the rows, not a replay of the log.
    _sql(path, "DELETE FROM activity")
    with LocalExchange(path=path) as again:
        assert canonical_state(again.venue) == before


def test_the_file_holds_documents_not_pickles(tmp_path: Path) -> None:
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, start_time=START) as ex:
        build_rich_account(ex)
    tables = [name for (name,) in _sql(path, "SELECT name FROM sqlite_master WHERE type='table'")]
    assert {"orders", "fills", "positions", "strategy_orders", "transfers", "state"} <= set(tables)
    assert "commands" not in tables and "snapshots" not in tables
    for table in ("orders", "fills", "positions", "strategy_orders", "transfers", "state"):
        for (doc,) in _sql(path, f"SELECT doc FROM {table}"):
            assert isinstance(json.loads(doc), dict)
    for (doc,) in _sql(path, "SELECT doc FROM fills"):
        fill = json.loads(doc)
        assert isinstance(fill["fee"], str) and Decimal(fill["fee"]) >= 0  # exact strings
    blobs = _sql(path, "SELECT COUNT(*) FROM pragma_table_info('orders') WHERE type = 'BLOB'")
    assert blobs == [(0,)]


def test_a_killed_process_loses_nothing_it_committed(tmp_path: Path) -> None:
    path = tmp_path / "paper.sqlite3"
    journal = open_journal(path, start_ms=START_MS)
    ex_venue = journal.venue
    for i in range(12):
        ex_venue.call(
            "submit_new_order",
            {
                "category": "SPOT",
                "symbol": "BTCUSDT",
                "side": "buy",
                "orderType": "market",
                "qty": str(20 + i),
            },
            ex_venue.trader,
        )
    before = canonical_state(ex_venue)
    journal.store.close()  # what a SIGKILL leaves: what was committed, no last save
    again = open_journal(path)
    assert canonical_state(again.venue) == before
    again.close()


def test_keys_uid_and_seed_persist_and_a_restarted_exchange_answers_the_same_client(
    tmp_path: Path,
) -> None:
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, seed=11, start_time=START) as ex:
        creds, ro, uid = ex.credentials, ex.read_only_credentials, ex.uid
        with bg.BitgetClient(**creds, base_url=ex.base_url) as client:
            ack = client.submit_new_order(
                category="SPOT",
                symbol="BTCUSDT",
                side="buy",
                orderType="limit",
                qty="0.001",
                price="50000",
            )
    with LocalExchange(path=path) as ex:
        assert (ex.credentials, ex.read_only_credentials, ex.uid, ex.seed) == (creds, ro, uid, 11)
        with bg.BitgetClient(**creds, base_url=ex.base_url) as client:
            info = client.get_order_info(orderId=ack["orderId"], raw=True)["data"]
    assert info["orderStatus"] == "live" and info["price"] == "50000.00"


def test_the_wall_clock_continues_with_its_offset(tmp_path: Path) -> None:
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path) as ex:
        ex.advance(hours=2)
    with LocalExchange(path=path) as ex:
        assert isinstance(ex.clock, WallClock) and ex.clock.offset_ms == 2 * HOUR
        assert abs(ex.now_ms() - (WallClock().now_ms() + 2 * HOUR)) < 5_000


def test_a_manual_clock_resumes_where_it_stood(tmp_path: Path) -> None:
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, start_time=START) as ex:
        ex.advance(minutes=3)
        ex.clock.advance(250)  # moved directly: the next call still records where it ran
        ex.venue.call("countdown_cancel_all", {"countdown": "10"}, ex.trader)
    with LocalExchange(path=path, start_time=START) as ex:  # the same start: resumed
        assert ex.now_ms() == START_MS + 3 * MINUTE + 250


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"seed": 8}, "seed 7, not 8"),
        ({"start_time": "2025-06-02T00:00:00Z"}, "manual clock started at"),
        ({"balances": {"USDT": "5"}}, "funded with"),
        ({"api_key": "bg_" + "1" * 32, "api_secret": "s" * 64, "api_pass": "p" * 8}, "API key"),
    ],
)
def test_arguments_that_contradict_the_file_are_refused(
    tmp_path: Path, change: dict[str, Any], words: str
) -> None:
    path = tmp_path / "paper.sqlite3"
    LocalExchange(path=path, start_time=START).close()
    with pytest.raises(PaperAccountMismatch, match=words) as caught:
        LocalExchange(path=path, **change)
    assert "reset --data" in str(caught.value) or "without" in str(caught.value)
    LocalExchange(path=path, seed=7, start_time=START).close()  # agreeing arguments are fine


def _history(venue: Any) -> dict[str, Any]:
    """Orders, fills, balances and the rest of what happened, as the export shows them."""
    return export_tables(venue)


def _changed_fees(factor: str) -> Catalogue:
    document = json.loads(
        (Path(bg.__file__).parent / "exchange" / "data" / "instruments.json").read_text()
    )
    text = json.dumps(document)
    for name in ("takerFeeRate", "makerFeeRate"):
        text = text.replace(f'"{name}": "0.', f'"{name}": "{factor}')
    changed = json.loads(text)
    assert changed != document
    return Catalogue(changed)


def test_a_saved_account_reopens_unchanged_after_the_catalogues_fee_rates_change(
    tmp_path: Path,
) -> None:
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, start_time=START) as ex:
        build_rich_account(ex)
        before = _history(ex.venue)
    catalogue = _changed_fees("0.0")  # every fee rate a tenth of what it was
    journal = open_journal(path, catalogue=catalogue)
    try:
        assert _history(journal.venue) == before  # what happened stays as it happened
        venue = journal.venue
        ack = venue.call(
            "submit_new_order",
            {"category": "SPOT", "symbol": "ETHUSDT", "side": "sell", "orderType": "market",
             "qty": "0.5"},
            venue.trader,
        )  # fmt: skip
        (fill,) = venue.trading.store.fills_of(ack["orderId"])
        inst = catalogue.get("SPOT", "ETHUSDT")
        assert inst is not None
        expected = fill.exec_value * inst.taker_fee
        assert fill.fee == expected.quantize(
            fill.fee, rounding=ROUND_HALF_UP
        )  # the new catalogue's rate
    finally:
        journal.close()


def test_a_saved_account_reopens_unchanged_after_the_fee_model_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, start_time=START) as ex:
        build_rich_account(ex)
        before = _history(ex.venue)
    from bitget_nb.exchange import settlement

    monkeypatch.setattr(settlement, "fee_of", lambda base, rate: Decimal(0))  # fees abolished
    with LocalExchange(path=path) as again:
        assert _history(again.venue) == before
        ack = again.venue.call(
            "submit_new_order",
            {"category": "SPOT", "symbol": "ETHUSDT", "side": "sell", "orderType": "market",
             "qty": "0.5"},
            again.trader,
        )  # fmt: skip
        fills = again.venue.trading.store.fills_of(ack["orderId"])
        assert fills and {f.fee for f in fills} == {Decimal(0)}  # new activity: the new model
    with LocalExchange(path=path) as third:
        assert _history(third.venue)["orders"][: len(before["orders"])] == before["orders"]


def test_a_file_in_use_by_another_exchange_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, start_time=START):
        with pytest.raises(PaperAccountInUse, match="another process"):
            LocalExchange(path=path)
        with pytest.raises(PaperAccountInUse):
            export_file(path)
    LocalExchange(path=path).close()  # free again once closed


def test_a_file_that_is_not_a_paper_account_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database " * 100)
    with pytest.raises(PaperAccountError, match="not a paper account"):
        LocalExchange(path=junk)


def test_reset_restores_the_funded_account_keeping_keys_uid_and_clock(tmp_path: Path) -> None:
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, start_time=START) as ex:
        creds, uid = ex.credentials, ex.uid
        build_rich_account(ex)
        now = ex.now_ms()
        ex.reset()
        fresh = canonical_state(ex.venue)
        assert not fresh["orders"] and not fresh["fills"] and not fresh["strategy_orders"]
        assert not fresh["positions"]["open"] and not fresh["lead"]["transfers"]
        assert fresh["balances"]["USDT"] == {"available": "100000", "locked": "0", "debt": "0"}
        assert fresh["account"]["registered_ms"] == now == ex.now_ms()
        assert _sql_open(ex, "SELECT COUNT(*) FROM orders") == [(0,)]
        assert _sql_open(ex, "SELECT kind FROM activity ORDER BY seq DESC LIMIT 1") == [("reset",)]
        ack = ex.venue.call(
            "copy_futures_transfer", {"type": "in", "coin": "BTC", "amount": "0.1"}, ex.trader
        )
        after = canonical_state(ex.venue)
    with LocalExchange(path=path) as again:
        assert (again.credentials, again.uid) == (creds, uid)
        assert canonical_state(again.venue) == after
        assert again.venue.lead.transfers[0].transfer_id == ack["transferId"]


def test_reset_of_an_exchange_in_memory(fresh_exchange: LocalExchange) -> None:
    ex = fresh_exchange
    creds = ex.credentials
    ex.venue.call(
        "submit_new_order",
        {
            "category": "SPOT",
            "symbol": "BTCUSDT",
            "side": "buy",
            "orderType": "limit",
            "qty": "0.01",
            "price": "50000",
        },
        ex.trader,
    )
    ex.reset()
    assert ex.credentials == creds and len(ex.venue.trading.store) == 0
    assert ex.venue.account.balance("USDT").locked == 0


def test_the_default_in_memory_exchange_leaves_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for path in (None, ":memory:"):
        with LocalExchange(path=path, start_time=START) as ex:
            assert ex.path is None
            build_rich_account(ex)
            ex.reset()
    assert list(tmp_path.iterdir()) == []


def test_the_embedded_default_keeps_its_account_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BITGET_NB_DATA", raising=False)
    monkeypatch.delenv("BITGET_NB_START", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr("platformdirs.user_data_dir", lambda app: str(tmp_path / "xdg" / app))
    assert connection.data_path() == tmp_path / "xdg" / "bitget_nb" / "paper-account.sqlite3"
    monkeypatch.setenv("BITGET_NB_START", START)
    assert connection.data_path() is None
    monkeypatch.setenv("BITGET_NB_DATA", str(tmp_path))  # a directory: the file goes inside
    assert connection.data_path() == tmp_path / "paper-account.sqlite3"

    monkeypatch.setenv("BITGET_NB_DATA", str(tmp_path / "mine.sqlite3"))
    monkeypatch.setattr(connection, "_default", None)
    ex = connection.default_exchange()
    try:
        assert ex.path == tmp_path / "mine.sqlite3" and ex.now_ms() == START_MS
        ex.advance(seconds=5)
    finally:
        ex.close()
    with LocalExchange(path=tmp_path / "mine.sqlite3") as again:  # the next kernel
        assert again.uid == ex.uid and again.now_ms() == START_MS + 5 * SECOND


def test_a_failed_commit_stops_the_exchange_from_answering(tmp_path: Path) -> None:
    path = tmp_path / "paper.sqlite3"
    ex = LocalExchange(path=path, start_time=START)
    order = {
        "category": "SPOT",
        "symbol": "BTCUSDT",
        "side": "buy",
        "orderType": "limit",
        "qty": "0.01",
        "price": "50000",
    }
    ex.venue.call("submit_new_order", order, ex.trader)
    journal = ex.venue.journal
    assert journal is not None
    journal.store.conn.close()  # the disk went away
    with pytest.raises(PaperAccountError, match="could not be saved"):
        ex.venue.call("submit_new_order", order, ex.trader)
    with pytest.raises(ExchangeError) as caught:
        ex.venue.call("get_unfilled_orders", {}, ex.trader)
    assert caught.value.code == "25000" and caught.value.http_status == 503
    journal.store._conn = None
    ex.close()
    with LocalExchange(path=path) as again:  # what was saved: the first order only
        assert len(again.venue.trading.store) == 1


# -- the command line ----------------------------------------------------------------------------


def test_cli_reset_needs_yes_and_then_starts_the_account_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, start_time=START) as ex:
        build_rich_account(ex)
        creds, now = ex.credentials, ex.now_ms()
    assert main(["reset", "--data", str(path)]) == 2
    assert "--yes" in capsys.readouterr().err
    with LocalExchange(path=path) as ex:
        assert len(ex.venue.trading.store) > 0
    assert main(["reset", "--data", str(path), "--yes"]) == 0
    assert "reset" in capsys.readouterr().out
    with LocalExchange(path=path) as ex:
        assert ex.credentials == creds and ex.now_ms() == now
        assert len(ex.venue.trading.store) == 0
        assert str(ex.venue.account.balance("USDT").total) == "100000"


def test_cli_export_writes_exact_strings_as_json_and_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, start_time=START) as ex:
        build_rich_account(ex)
        state = canonical_state(ex.venue)
        secret = ex.credentials["api_secret"]
    assert main(["export", "--data", str(path)]) == 0
    out = capsys.readouterr().out
    assert secret not in out
    document = json.loads(out)
    assert document["account"]["uid"] == state["account"]["uid"]
    assert [o["orderId"] for o in document["orders"]] == [o["order_id"] for o in state["orders"]]
    assert [f["fee"] for f in document["fills"]] == [f["fee"] for f in state["fills"]]
    usdt = next(b for b in document["balances"] if (b["account"], b["coin"]) == ("unified", "USDT"))
    total = Decimal(state["balances"]["USDT"]["available"]) + Decimal(
        state["balances"]["USDT"]["locked"]
    )
    assert Decimal(usdt["balance"]) == total and "E" not in usdt["balance"]
    assert {p["status"] for p in document["positions"]} == {"open", "closed"}
    assert document["transfers"][0]["amount"] == "800"

    assert (
        main(["export", "--data", str(path), "--format", "csv", "--out", str(tmp_path / "x")]) == 0
    )
    names = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert names == [
        "balances.csv",
        "fills.csv",
        "orders.csv",
        "positions.csv",
        "strategy_orders.csv",
        "transfers.csv",
    ]
    header, first = (tmp_path / "x" / "orders.csv").read_text().splitlines()[:2]
    assert header.startswith("orderId,clientOid,") and first.startswith(
        document["orders"][0]["orderId"]
    )


def test_cli_exchange_refuses_a_data_file_of_another_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "paper.sqlite3"
    LocalExchange(path=path, seed=3, start_time=START).close()
    assert main(["exchange", "--data", str(path), "--seed", "4", "--port", "0"]) == 1
    assert "made with seed 3, not 4" in capsys.readouterr().err


def test_cli_export_of_a_missing_file_fails_without_making_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nothing.sqlite3"
    assert main(["export", "--data", str(path)]) == 1
    assert "no paper account" in capsys.readouterr().err and not path.exists()


def test_a_new_file_gets_the_given_key(tmp_path: Path) -> None:
    key = ApiKey(api_key="bg_" + "2" * 32, secret="3" * 64, passphrase="passphrase1")
    journal = open_journal(tmp_path / "k.sqlite3", trading_key=key, start_ms=START_MS)
    assert journal.venue.trader.key == key
    journal.close()


@pytest.mark.parametrize("ending", ["closed", "killed"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_interleavings_of_writes_reads_and_time_reopen_to_the_same_state(
    tmp_path: Path, seed: int, ending: str
) -> None:
    """Writes, reads whose catch-ups fill orders, and a clock that jumps by a few ms to many
    minutes without advance(): what each call committed is the state the live run reached,
    whether the exchange was closed or killed (change capture misses nothing)."""
    rng = random.Random(seed)
    path = tmp_path / "paper.sqlite3"
    ex = LocalExchange(path=path, start_time=START)
    symbols = [("SPOT", "BTCUSDT"), ("SPOT", "ETHUSDT"), ("USDT-FUTURES", "BTCUSDT")]
    for _ in range(160):
        roll = rng.random()
        category, symbol = rng.choice(symbols)
        side = rng.choice(("buy", "sell"))
        if roll < 0.35:
            price = _near(ex, category, symbol, rng.randint(-60, 60))
            _place(ex, category, symbol, side=side, orderType="limit", qty="0.01", price=price)
        elif roll < 0.45:
            qty = "25" if (category, side) == ("SPOT", "buy") else "0.01"
            _place(ex, category, symbol, side=side, orderType="market", qty=qty)
        elif roll < 0.55:
            open_orders = ex.venue.trading.store.open_orders()
            if open_orders:
                order = rng.choice(open_orders)
                _call(ex, "cancel_order", {"orderId": order.order_id})
        elif roll < 0.6:
            _call(ex, "countdown_cancel_all", {"countdown": rng.choice(("5", "0", "7"))})
        elif roll < 0.65:
            _call(ex, "close_all_positions", {"category": "USDT-FUTURES"})
        elif roll < 0.8:
            ex.clock.advance(rng.choice((1, 250, 999, 1_000, 4_321, 60_000, 900_000)))
            _call(ex, rng.choice(("get_balances", "get_unfilled_orders")), {})
        else:
            _call(ex, "get_tickers", {"category": "SPOT"})  # public: catches up all the same
    before = canonical_state(ex.venue)
    if ending == "closed":
        ex.close()
    else:  # what a SIGKILL leaves: only what each call committed, no saving on close
        assert ex.venue.journal is not None
        ex.venue.journal.store.close()
    assert len(before["fills"]) > 10
    with LocalExchange(path=path) as again:
        assert canonical_state(again.venue) == before


# -- what a request can leave in the file ------------------------------------------------------

PLACE = "/api/v3/trade/place-order"
BATCH = "/api/v3/trade/place-batch"
CAP = defaults.MAX_BODY_DEPTH
_RESTING = ('"category":"SPOT","symbol":"BTCUSDT","side":"buy","orderType":"limit",'
            '"qty":"0.001","price":"50000"')  # fmt: skip


def _order_with(field: str, value: str) -> str:
    return f'{{{_RESTING},"{field}":{value}}}'


def _nested(levels: int) -> str:
    return "[" * levels + "1" + "]" * levels


def _on_a_deeper_stack(frames: int, call: Callable[[], Any]) -> Any:
    """``call()`` from ``frames`` Python frames further down, like a notebook cell's code."""
    return call() if frames <= 0 else _on_a_deeper_stack(frames - 1, call)


def test_nested_orders_are_never_acknowledged_and_the_log_replays_on_a_deeper_stack(
    tmp_path: Path,
) -> None:
    """A value nested ~975 levels deep was once acknowledged and logged; replaying the log
    (after a kill, or with a new code version) from a notebook cell's deeper stack then hit
    the recursion limit and refused the whole account."""
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, start_time=START, rate_limits=False) as ex:
        wire = Wire(ex)
        for levels in (CAP + 1, 975, 980, 2_000):
            for field in ("note", "clientOid"):  # an unknown field, and a known one
                response = wire.post(PLACE, raw=_order_with(field, _nested(levels - 1)))
                assert error_code(response) == defaults.BAD_BODY_CODE
            response = wire.post(BATCH, raw=f"[{_order_with('clientOid', _nested(levels - 2))}]")
            assert error_code(response) == defaults.BAD_BODY_CODE
        ok_data(wire.post(PLACE, raw=_order_with("note", _nested(CAP - 1))))  # at the cap
        response = wire.post(PLACE, raw=_order_with("clientOid", _nested(CAP - 1)))
        assert error_code(response) == "25200"  # read, then refused: not a string
        before = canonical_state(ex.venue)
    assert len(before["orders"]) == 1

    def reopen() -> dict[str, Any]:
        with LocalExchange(path=path) as again:
            return canonical_state(again.venue)

    assert _on_a_deeper_stack(500, reopen) == before


@pytest.mark.parametrize("levels", [CAP + 1, 975, 5_000])
def test_direct_venue_calls_nested_past_the_cap_are_refused_before_they_are_logged(
    tmp_path: Path, levels: int
) -> None:
    value: Any = 1
    for _ in range(levels - 1):
        value = [value]
    order = {**json.loads("{" + _RESTING + "}"), "note": value}
    with LocalExchange(path=tmp_path / "paper.sqlite3", start_time=START) as ex:
        with pytest.raises(ExchangeError) as caught:
            ex.venue.call("submit_new_order", order, ex.trader)
        assert caught.value.code == defaults.BAD_BODY_CODE
        assert f"nested deeper than {CAP} levels" in caught.value.msg
        assert "call" not in dict(_sql_open(ex, "SELECT kind, 1 FROM activity"))


@pytest.mark.parametrize(
    "extra",
    [
        '"clientOid":"\\ud800"',  # a lone surrogate: not encodable as UTF-8
        '"note":"\\udfff\\ud800"',
        '"clientOid":"a\\u0000b"',
        '"clientOid":"' + "x" * 5_000 + '"',
        '"note":' + "9" * 4_000,  # an integer just under Python's digit limit
        '"note":' + "9" * 5_000,  # ... and over it
        '"note":1e400',
        '"note":1e-400',
        '"note":-0.0',
        '"note":"\\u2028\\u00e9\\ud83d\\ude00"',
        '"clientOid":"dup-1","clientOid":"dup-2"',
        '"qty":"0.002","qty":"0.001"',
        '"note":{"a":{"b":{"c":{"d":{"e":{"f":[1]}}}}}}',
    ],
)
def test_odd_json_in_an_order_is_refused_or_read_back_exactly(tmp_path: Path, extra: str) -> None:
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, start_time=START, rate_limits=False) as ex:
        response = Wire(ex).post(PLACE, raw=f"{{{_RESTING},{extra}}}")
        assert response.status_code in (200, 400), envelope(response)
        before = canonical_state(ex.venue)
    with LocalExchange(path=path) as again:
        assert canonical_state(again.venue) == before


# -- damaged files -------------------------------------------------------------------------------


def _root_page(path: Path, name: str) -> tuple[int, int]:
    """(offset, size) of the first page of table or index ``name`` in a closed file."""
    ((page,),) = _sql(path, "SELECT rootpage FROM sqlite_master WHERE name = ?", name)
    ((size,),) = _sql(path, "PRAGMA page_size")
    return (page - 1) * size, size


def _overwrite(path: Path, offset: int, size: int) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(random.Random(offset).randbytes(size))


def _garbage_header(path: Path) -> None:
    _overwrite(path, 0, 100)


def _truncated(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _orders_page(path: Path) -> None:
    _overwrite(path, *_root_page(path, "orders"))


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04" + random.Random(4).randbytes(8_192))  # a zip, say


def _account_file(tmp_path: Path) -> Path:
    """A closed paper account with orders, fills, positions and a few pages of log."""
    path = tmp_path / "paper.sqlite3"
    with LocalExchange(path=path, start_time=START) as ex:
        build_rich_account(ex)
    return path


def test_a_paper_account_error_is_a_bitget_error_and_still_a_runtime_error() -> None:
    assert issubclass(PaperAccountError, bg.BitgetError)
    assert issubclass(PaperAccountError, RuntimeError)
    assert issubclass(PaperAccountMismatch, bg.BitgetError) and issubclass(
        PaperAccountMismatch, ValueError
    )


@pytest.mark.parametrize(
    "damage",
    [_garbage_header, _truncated, _orders_page, _not_sqlite],
    ids=lambda damage: damage.__name__.strip("_"),
)
def test_a_damaged_file_is_refused_with_a_paper_account_error_and_the_cli_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: Callable[[Path], None]
) -> None:
    path = _account_file(tmp_path)
    damage(path)
    with pytest.raises(PaperAccountError, match="it is damaged, or not a paper account") as caught:
        LocalExchange(path=path)
    message = str(caught.value)
    assert str(path) in message and "bitget_nb reset" not in message  # a reset would wipe it
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)  # kept as the cause only
    for argv, line in [
        (["exchange", "--data", str(path), "--port", "0"], "cannot open the paper account: "),
        (["export", "--data", str(path)], "cannot export: "),
        (["reset", "--data", str(path), "--yes"], "cannot reset: "),
    ]:
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.startswith(line) and "damaged" in err and "Traceback" not in err, err


def test_damage_found_after_opening_is_a_paper_account_error_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing read on opening touches the index of ``meta``; a reset writes through it."""
    path = _account_file(tmp_path)
    _overwrite(path, *_root_page(path, "sqlite_autoindex_meta_1"))
    with LocalExchange(path=path) as ex:
        ok_data(Wire(ex).post(PLACE, json.loads("{" + _RESTING + "}")))  # trading goes on
        before = canonical_state(ex.venue)
        with pytest.raises(PaperAccountError, match="could not be reset: it is damaged"):
            ex.reset()
        assert canonical_state(ex.venue) == before  # the failed reset changed nothing
    with LocalExchange(path=path) as again:
        assert canonical_state(again.venue) == before
    assert main(["reset", "--data", str(path), "--yes"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cannot reset: ") and "Traceback" not in err, err


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE meta SET value = 'x' WHERE key = 'seed'",
        "UPDATE meta SET value = '{not json' WHERE key = 'balances'",
        "DELETE FROM meta WHERE key = 'clock'",
        "UPDATE api_keys SET read_only = 'yes'",
        "UPDATE state SET doc = '{not json' WHERE id = 'balances'",
        "UPDATE state SET doc = '{\"kind\": \"wall\"}' WHERE id = 'clock'",
        "UPDATE state SET doc = '[]' WHERE id = 'sequences'",
    ],
)
def test_rows_that_sqlite_reads_but_that_do_not_parse_are_a_damaged_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], statement: str
) -> None:
    """A torn page whose bytes still look like rows, or an edited file."""
    path = tmp_path / "paper.sqlite3"
    LocalExchange(path=path, start_time=START).close()
    _sql(path, statement)
    with pytest.raises(PaperAccountError, match="account record is damaged"):
        LocalExchange(path=path)
    assert main(["exchange", "--data", str(path), "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cannot open the paper account: ") and "Traceback" not in err, err
