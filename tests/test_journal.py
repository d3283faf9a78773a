"""The journal: notes and tags per clientOid, kept where the account is."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

import bitget_nb as bg
from bitget_nb.errors import ValidationError
from bitget_nb.journal import SUFFIX, Journal


def test_notes_and_tags_come_back_as_a_typed_frame_one_row_per_client_oid():
    journal = Journal()
    journal.note("b-2", "second")
    journal.note("a-1", "first", tags=["breakout"])
    journal.tag("a-1", "btc", "breakout")
    frame = journal.frame()
    assert frame["clientOid"].tolist() == ["a-1", "b-2"]
    assert frame["note"].tolist() == ["first", "second"]
    assert frame["tags"].iloc[0] == "breakout,btc" and frame["tags"].isna().iloc[1]
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        "clientOid": "string", "note": "string", "tags": "string",
        "updated": "datetime64[ms, UTC]",
    }  # fmt: skip


def test_a_note_without_text_keeps_the_text_and_adds_the_tags():
    journal = Journal()
    journal.note("x-1", "why I bought")
    journal.note("x-1", tags=["a"])
    journal.untag("x-1", "a", "never-there")
    row = journal.get("x-1")
    assert row is not None and row["note"] == "why I bought" and pd.isna(row["tags"])
    journal.note("x-1", "changed my mind")
    assert journal.get("x-1")["note"] == "changed my mind"  # type: ignore[index]
    journal.forget("x-1")
    assert journal.get("x-1") is None and len(journal) == 0 and "x-1" not in journal


def test_an_empty_journal_has_the_columns_and_dtypes():
    frame = Journal().frame()
    assert frame.empty and list(frame.columns) == ["clientOid", "note", "tags", "updated"]
    assert str(frame["updated"].dtype) == "datetime64[ms, UTC]"


@pytest.mark.parametrize("oid", ["", "has space", "x" * 33, "ü-1"])
def test_what_is_not_a_client_oid_is_refused(oid):
    with pytest.raises(ValidationError, match="is not a clientOid"):
        Journal().note(oid, "text")


@pytest.mark.parametrize("tag", ["", "a,b", "  "])
def test_tags_are_words_without_commas(tag):
    with pytest.raises(ValidationError, match="tag"):
        Journal().note("ok-1", tags=[tag])


def test_a_file_journal_survives_reopening(tmp_path):
    path = tmp_path / "j" / "journal.sqlite3"
    Journal(path).note("keep-1", "kept", tags=["t"])
    again = Journal(path)
    assert again.path == path and again.get("keep-1")["tags"] == "t"  # type: ignore[index]
    assert "journal.sqlite3" in repr(again) and "notes=1" in repr(again)


def test_a_persistent_paper_account_keeps_its_journal_beside_its_file(tmp_path):
    account = tmp_path / "paper.sqlite3"
    with bg.LocalExchange(path=account, start_time="2026-01-05T00:00:00Z") as ex:
        journal = Journal.for_exchange(ex)
        assert journal.path == tmp_path / ("paper.sqlite3" + SUFFIX)
        journal.note("spot-1", "first trade")
    with bg.LocalExchange(path=account) as ex:
        assert Journal.for_exchange(ex).get("spot-1")["note"] == "first trade"  # type: ignore[index]


def test_an_exchange_in_memory_has_one_journal_in_memory_while_it_lives(exchange, client):
    first = Journal.for_exchange(exchange)
    assert first.path is None and Journal.for_exchange(exchange) is first
    # a client of an exchange this process did not start as its embedded one: by base URL
    assert Journal.for_client(client) is Journal.for_client(client)


def test_the_embedded_exchange_s_client_finds_the_exchange_s_journal():
    client = bg.connect("local", fresh=True)
    try:
        journal = Journal.for_client(client)
        assert journal is Journal.for_exchange(bg.default_exchange())
    finally:
        client.close()


def test_a_live_key_s_journal_is_a_file_named_without_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    key = "bg_" + "5" * 32
    client = bg.BitgetClient(
        api_key=key, api_secret="s" * 64, api_pass="p" * 12, base_url="https://api.bitget.com"
    )
    try:
        journal = Journal.for_client(client)
        assert journal.path is not None and journal.path.is_relative_to(tmp_path)
        assert key not in str(journal.path) and client.key_id in journal.path.name
        assert journal.path.name.startswith("journal-live-")
    finally:
        client.close()


def test_threads_writing_at_once_lose_no_note():
    journal = Journal()

    def write(n: int) -> None:
        for i in range(50):
            journal.note(f"t{n}-{i}", f"note {i}", tags=[f"thread{n}"])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(journal) == 200
