"""``Journal``: notes and tags per ``clientOid``, joined onto a trade report's round trips.

Why a trade was made is not on the exchange. A journal keeps it beside the orders: one row
per ``clientOid`` — a note and a set of tags — in a small SQLite file (or in memory), so a
report can say which round trips were "breakout" entries and how they did.

Where a journal lives (:meth:`Journal.for_client`):

* the embedded exchange's persistent paper account (``bg.connect()``): beside its file, as
  ``<paper-account>.journal.sqlite3`` — reset the account and the journal stays;
* a local exchange in memory (tutorials, tests): in memory, as long as that exchange lives;
* demo and live: ``journal-<env>-<key id>.sqlite3`` in the user data directory
  (``platformdirs.user_data_dir("bitget_nb")``), the key id being the first 12 hex digits
  of the API key's SHA-256 — one journal per account key, and no key in a file name.

Each change is one SQLite transaction: an interrupted kernel never leaves half a note.

>>> journal = Journal()  # in memory
>>> journal.note("breakout-1", "range break on volume", tags=["breakout", "btc"])
>>> journal.tag("breakout-1", "a-plus")
>>> journal.frame()[["clientOid", "note", "tags"]]
    clientOid                   note                 tags
0  breakout-1  range break on volume  a-plus,breakout,btc
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import ValidationError
from .vocab import CLIENT_OID

if TYPE_CHECKING:
    from .client import BitgetClient
    from .exchange import LocalExchange

__all__ = ["Journal"]

#: The file beside a persistent paper account: ``<account file>`` + this suffix.
SUFFIX = ".journal.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    client_oid TEXT PRIMARY KEY,
    note TEXT,
    tags TEXT NOT NULL DEFAULT '',
    updated_ms INTEGER NOT NULL
)
"""

#: In-memory journals of local exchanges without a file, one per exchange object.
_memory: weakref.WeakKeyDictionary[Any, Journal] = weakref.WeakKeyDictionary()
#: … and of local exchanges this process did not start, by base URL (for the process's life).
_by_url: dict[str, Journal] = {}
_memory_lock = threading.Lock()


def _check_oid(client_oid: str) -> str:
    if not isinstance(client_oid, str) or not CLIENT_OID.match(client_oid):
        raise ValidationError(
            f"clientOid {client_oid!r} is not a clientOid: 1 to 32 letters, digits or . : / _ -",
            field="clientOid",
        )
    return client_oid


def _check_tags(tags: Iterable[str]) -> set[str]:
    out = set()
    for tag in tags:
        text = str(tag).strip()
        if not text or "," in text:
            raise ValidationError(
                f"tag {tag!r}: a tag is a non-empty word without commas", field="tags"
            )
        out.add(text)
    return out


class Journal:
    """Notes and tags per ``clientOid``, kept in SQLite at ``path`` (``None``: in memory).

    Writing: :meth:`note` (sets the note, and the tags when given), :meth:`tag` /
    :meth:`untag`, :meth:`forget`. Reading: :meth:`frame` (one row per clientOid:
    ``clientOid``, ``note``, ``tags`` — comma-separated, sorted, ``<NA>`` when none —
    ``updated``), :meth:`get`, ``len()``, ``in``.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._path = None if path is None else Path(path).expanduser()
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            ":memory:" if self._path is None else str(self._path),
            check_same_thread=False,
            isolation_level=None,  # explicit transactions below
        )
        with self._lock:
            self._db.execute(_SCHEMA)
        weakref.finalize(self, self._db.close)

    # -- where a journal lives ----------------------------------------------------------------
    @classmethod
    def for_exchange(cls, exchange: LocalExchange) -> Journal:
        """The journal of a local exchange's paper account: beside its file when it has one,
        else in memory for as long as the exchange lives."""
        path = exchange.path
        if path is not None:
            return cls(Path(str(path) + SUFFIX))
        with _memory_lock:
            journal = _memory.get(exchange)
            if journal is None:
                journal = _memory[exchange] = cls()
            return journal

    @classmethod
    def for_client(cls, client: BitgetClient) -> Journal:
        """The journal of the account ``client`` trades (see the module docstring). No
        request is made."""
        if client.env == "local":
            from . import connection

            exchange = connection.running_exchange()
            if exchange is not None and exchange.base_url == client.base_url:
                return cls.for_exchange(exchange)
            with _memory_lock:
                journal = _by_url.get(client.base_url)
                if journal is None:
                    journal = _by_url[client.base_url] = cls()
                return journal
        import platformdirs

        if client.key_id is None:
            raise ValidationError(
                f"a journal belongs to an account, and this {client.env} client has no API key"
            )
        directory = Path(platformdirs.user_data_dir("bitget_nb"))
        return cls(directory / f"journal-{client.env}-{client.key_id}.sqlite3")

    @property
    def path(self) -> Path | None:
        """The SQLite file (``None``: in memory)."""
        return self._path

    def __repr__(self) -> str:
        where = "memory" if self._path is None else str(self._path)
        return f"Journal({where!r}, notes={len(self)})"

    # -- writing ------------------------------------------------------------------------------
    def note(self, client_oid: str, text: str | None = None, *, tags: Iterable[str] = ()) -> None:
        """Set the note of ``client_oid`` (``None`` leaves it as it is) and add ``tags``."""
        oid = _check_oid(client_oid)
        new_tags = _check_tags(tags)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT note, tags FROM notes WHERE client_oid = ?", (oid,)
                ).fetchone()
                note = text if text is not None else (row[0] if row else None)
                old = set(filter(None, row[1].split(","))) if row else set()
                self._db.execute(
                    "INSERT OR REPLACE INTO notes VALUES (?, ?, ?, ?)",
                    (oid, note, ",".join(sorted(old | new_tags)), int(time.time() * 1000)),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def tag(self, client_oid: str, *tags: str) -> None:
        """Add ``tags`` to ``client_oid``."""
        self.note(client_oid, tags=tags)

    def untag(self, client_oid: str, *tags: str) -> None:
        """Remove ``tags`` from ``client_oid`` (tags it does not have are ignored)."""
        oid = _check_oid(client_oid)
        gone = _check_tags(tags)
        with self._lock:
            row = self._db.execute("SELECT tags FROM notes WHERE client_oid = ?", (oid,)).fetchone()
            if row is None:
                return
            kept = sorted(set(filter(None, row[0].split(","))) - gone)
            self._db.execute(
                "UPDATE notes SET tags = ?, updated_ms = ? WHERE client_oid = ?",
                (",".join(kept), int(time.time() * 1000), oid),
            )

    def forget(self, client_oid: str) -> None:
        """Remove the note and tags of ``client_oid``."""
        oid = _check_oid(client_oid)
        with self._lock:
            self._db.execute("DELETE FROM notes WHERE client_oid = ?", (oid,))

    # -- reading ------------------------------------------------------------------------------
    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM notes").fetchone()[0])

    def __contains__(self, client_oid: object) -> bool:
        with self._lock:
            found = self._db.execute(
                "SELECT 1 FROM notes WHERE client_oid = ?", (client_oid,)
            ).fetchone()
        return found is not None

    def get(self, client_oid: str) -> pd.Series | None:
        """The row of ``client_oid`` (``note``, ``tags``, ``updated``), or ``None``."""
        frame = self.frame()
        rows = frame[frame["clientOid"] == client_oid]
        return None if rows.empty else rows.iloc[0]

    def frame(self) -> pd.DataFrame:
        """One row per clientOid: ``clientOid``, ``note``, ``tags`` (string dtype; tags
        comma-separated and sorted, ``<NA>`` when none) and ``updated`` (UTC), sorted by
        clientOid."""
        with self._lock:
            rows = self._db.execute(
                "SELECT client_oid, note, tags, updated_ms FROM notes ORDER BY client_oid"
            ).fetchall()
        text = pd.StringDtype()
        return pd.DataFrame(
            {
                "clientOid": pd.array([r[0] for r in rows], dtype=text),
                "note": pd.array([r[1] for r in rows], dtype=text),
                "tags": pd.array([r[2] or None for r in rows], dtype=text),
                "updated": pd.to_datetime([r[3] for r in rows], unit="ms", utc=True).as_unit("ms"),
            }
        )
