"""A paper account that survives restarts: its state as rows of documents in one SQLite file.

**Design.** The file holds the account's *state*, not its history of commands:

* record tables — ``orders``, ``fills``, ``positions``, ``strategy_orders``, ``transfers``,
  ``ledger`` (the account's financial records):
  one row per record, its id, the columns it is looked up by (time, category and symbol,
  status; indexed) and the record as a JSON document — amounts as exact decimal strings,
  no pickles. Fills, transfers and ledger rows are written once; an order, a position or a strategy
  order is written again while it is open and a last time when it closes;
* ``state`` — the account-wide documents: balances, settings, the countdown, the lead
  account's balances, the id sequences, running totals, the clock, the catch-up horizon;
* ``meta`` and ``api_keys`` — format, schema version, seed, uid, initial balances, the kind
  of clock (and a manual clock's start), who created the file; the keys;
* ``activity`` — an append-only log of what was done (endpoint, parameters, key, instant,
  outcome code, rows written), for audit only: nothing reads it to rebuild the account.

Which objects make up the state, how each becomes a document and what a command changed is
the business of ONE module, :mod:`.state_adapter`; this one does SQL and never looks inside
a domain object.

**Writes.** After every call (and every ``advance``) the venue's state is compared with what
was last written (:meth:`.state_adapter.Tracker.changes`: the open working set and what the
command appended — never the history), and the rows that differ are written with an
activity row in ONE transaction, inside the venue lock, before the answer leaves. A write
call always leaves an activity row (a refused order is worth auditing); a read leaves
nothing unless its catch-up changed something (a resting order filled …).

**Reopening** reads the working set and reinstalls it (:func:`.state_adapter.load`: books,
indexes and id sequences rebuilt); closed orders, fills and the ledger stay in the file and
are read when a query reaches them (:meth:`Store.newest` and its kin, on the indexes of
:func:`_schema`). It never re-runs history, so a change in the code's behaviour — fees,
matching, the market model, the instrument catalogue — never refuses a saved account: what
happened stays as it happened, and new activity follows the new code.

**Formats.** ``meta.schema`` is the schema version (:data:`SCHEMA_VERSION`); an older file is
brought forward by the steps of :data:`MIGRATIONS` in one transaction, a newer one is
refused. A file written by 0.1.0 (format 1, a command log) is converted once by
:mod:`.legacy`: its log is replayed through this code, the original is copied beside it
(``FILE.format-1.bak``), and the file is rewritten as rows in one transaction — its log kept
as the activity log. If the replay goes differently, the error names the command and the
file is left untouched.

**Durability.** WAL journal with ``synchronous=FULL`` (:data:`SYNCHRONOUS`): every commit is
fsynced before the answer is sent, so an acknowledged order survives a process kill AND a
power loss. The file is opened in SQLite's EXCLUSIVE locking mode: one process at a time
owns a paper account (a second one gets :class:`PaperAccountInUse`), and no ``-shm`` file
is made. While it is open, recent commits may live only in ``FILE-wal``: a copy of a file in
use must include it — copy it closed, or with ``sqlite3 FILE ".backup COPY"``.

**Refusals.** A file opened with arguments that contradict it (another seed given
explicitly, other keys, other initial balances, a manual clock's start) is refused with
:class:`PaperAccountMismatch`. A changed catalogue or changed code never is.

**Damage.** Every SQLite error — a file that is not a database, a torn or truncated one,
pages that do not hold together, a full disk — surfaces as :class:`PaperAccountError` naming
the file, wherever SQLite first meets it (opening, or later: a write, a reset). A damaged
file is never met with the advice to reset it: that would wipe what ``sqlite3 FILE .recover``
might still save. Parameters nested deeper than :data:`~.defaults.MAX_BODY_DEPTH` are
refused before they are logged.

**In memory.** ``path=None`` (or ``":memory:"``) keeps no SQLite at all.

**Reset** (:meth:`Journal.reset`, :func:`reset_file`) deletes every record and registers the
account anew at the clock's current position, in one transaction; keys, uid, seed and initial
balances stay, and the activity log records the reset.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "paper.sqlite3"
>>> journal = open_journal(path, start_ms=1_748_736_000_000)
>>> ack = journal.venue.call("copy_futures_transfer",
...     {"type": "in", "coin": "USDT", "amount": "10"}, journal.venue.trader)
>>> journal.close()
>>> again = open_journal(path)
>>> again.venue.lead.balance("USDT"), again.live_clock.now_ms()
(Decimal('10'), 1748736000000)
>>> again.close()
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..endpoints import ENDPOINTS
from ..errors import BitgetError
from . import defaults, legacy
from . import state_adapter as adapter
from .accounts import ApiKey
from .canonical import export_tables
from .clock import ManualClock, PinnedClock, WallClock
from .instruments import Catalogue
from .params import ExchangeError, nests_deeper_than
from .venue import Venue

if TYPE_CHECKING:
    from .fees import FeeModel
    from .marketdata import MarketData
    from .venue import Caller, Operation

__all__ = [
    "FORMAT",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SYNCHRONOUS",
    "Journal",
    "PaperAccountError",
    "PaperAccountInUse",
    "PaperAccountMismatch",
    "export_file",
    "open_journal",
    "reset_file",
]

logger = logging.getLogger("bitget_nb.exchange.persistence")

#: The file format this module writes and reads (``meta.format``).
FORMAT = "bitget_nb paper account 2"
#: The schema version this code writes (``meta.schema``).
SCHEMA_VERSION = 5
#: ``PRAGMA synchronous``: FULL fsyncs the WAL on every commit (survives power loss).
SYNCHRONOUS: Literal["FULL", "NORMAL"] = "FULL"
#: How long opening waits for another process to let go of the file.
_BUSY_TIMEOUT_S = 1.0
#: The suffix of the copy a conversion keeps of a format-1 file.
BACKUP_SUFFIX = ".format-1.bak"


def _schema() -> list[str]:
    """The statements that make the row format's tables and indexes (derived from
    :data:`.state_adapter.TABLES`).

    The tables a reopened account reads lazily (:data:`.state_adapter.ARCHIVED`) are
    indexed for the pages it asks of them: in id order within a category, a symbol or both,
    and by time to turn a window into a range of ids (ids and times grow together).
    """
    statements = [
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS api_keys ("
        " position INTEGER PRIMARY KEY, api_key TEXT NOT NULL UNIQUE, secret TEXT NOT NULL,"
        " passphrase TEXT NOT NULL, read_only INTEGER NOT NULL, permissions TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {adapter.STATE_TABLE} "
        "(id TEXT PRIMARY KEY, doc TEXT NOT NULL)",
        # AUTOINCREMENT: an activity row's seq is never handed out twice.
        "CREATE TABLE IF NOT EXISTS activity ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, kind TEXT NOT NULL,"
        " endpoint TEXT, params TEXT, api_key TEXT, outcome TEXT, rows INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS activity_by_time ON activity (at_ms)",
    ]
    for table, columns in adapter.TABLES.items():
        typed = ", ".join(
            f"{c} INTEGER NOT NULL" if c == "created_ms" else f"{c} TEXT" for c in columns
        )
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, {typed}, doc TEXT NOT NULL)"
        )
        if table in adapter.ARCHIVED:
            statements += _archive_indexes(table, columns)
            continue
        statements.append(f"CREATE INDEX IF NOT EXISTS {table}_by_time ON {table} (created_ms)")
        if table == "ledger":  # its pages, read from the file by a reopened account
            statements += [
                f"CREATE INDEX IF NOT EXISTS ledger_by_{c}_id ON ledger ({c}, id)"
                for c in ("category", "coin", "type")
            ]
        if "symbol" in columns:
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {table}_by_symbol "
                f"ON {table} (category, symbol, created_ms)"
            )
    return statements


def _archive_indexes(table: str, columns: tuple[str, ...]) -> list[str]:
    indexes = {
        "time": "created_ms, id",
        "pair": "category, symbol, id",
        "category": "category, id",
        "symbol": "symbol, id",
    }
    for column in ("client_oid", "order_id"):
        if column in columns:
            indexes[column] = f"{column}, id"
    return [
        f"CREATE INDEX IF NOT EXISTS {table}_by_{name}_id ON {table} ({on})"
        for name, on in indexes.items()
    ]


def _schema_3(conn: sqlite3.Connection) -> None:
    """Schema 2 → 3: orders get a ``client_oid`` column, and orders and fills the indexes a
    reopened account's lazy history pages by (written out: a later schema changes
    :func:`_schema`, never this step)."""
    conn.execute("ALTER TABLE orders ADD COLUMN client_oid TEXT")
    conn.execute("UPDATE orders SET client_oid = json_extract(doc, '$.client_oid')")
    for index in ("orders_by_time", "orders_by_symbol", "fills_by_time", "fills_by_symbol"):
        conn.execute(f"DROP INDEX IF EXISTS {index}")
    conn.execute("DROP INDEX IF EXISTS fills_by_order")
    for table, extra in (("orders", "client_oid"), ("fills", "order_id")):
        for name, on in (
            ("time", "created_ms, id"),
            ("pair", "category, symbol, id"),
            ("category", "category, id"),
            ("symbol", "symbol, id"),
            (extra, f"{extra}, id"),
        ):
            conn.execute(f"CREATE INDEX {table}_by_{name}_id ON {table} ({on})")


def _schema_4(conn: sqlite3.Connection) -> None:
    """Schema 3 → 4: the account ledger (``account/financial-records``) gets its table,
    EMPTY — the events before the migration are not reconstructed (funding was kept per
    position, not per payment). A migrated account's ledger starts at the first reopening,
    from the balances it has then (:meth:`.ledger.Ledger.start_from`); its fills, transfers
    and position history stay where they were."""
    conn.execute(
        "CREATE TABLE ledger (id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, category TEXT,"
        " coin TEXT, type TEXT, doc TEXT NOT NULL)"
    )
    conn.execute("CREATE INDEX ledger_by_time ON ledger (created_ms)")


def _schema_5(conn: sqlite3.Connection) -> None:
    """Schema 4 → 5: a reopened account leaves its ledger in the file and pages it from
    there (:class:`.state_adapter._FileLedger`), in id order within a category, a coin or a
    type: those three indexes."""
    for column in ("category", "coin", "type"):
        conn.execute(f"CREATE INDEX ledger_by_{column}_id ON ledger ({column}, id)")


#: Forward migrations: ``MIGRATIONS[v]`` brings a schema-``v`` file to ``v + 1`` (SQL on
#: the open connection, inside the transaction that also records the new version). Format
#: 1 is not among them: it needs the domain to be rebuilt (:mod:`.legacy`).
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    2: _schema_3,
    3: _schema_4,
    4: _schema_5,
}


class PaperAccountError(BitgetError, RuntimeError):
    """The paper account file cannot be used (unreadable, damaged, not a paper account, not
    saved, or a 0.1.0 file whose conversion came out differently). Every SQLite error of the
    file surfaces as one of these, naming the file (design: every failure reaches the user
    as a :class:`~bitget_nb.errors.BitgetError`)."""


class PaperAccountInUse(PaperAccountError):
    """Another process has the paper account file open."""


class PaperAccountMismatch(PaperAccountError, ValueError):
    """The arguments contradict the file (seed, keys, initial balances, a manual clock's
    start)."""


def _where(where: Mapping[str, tuple[str, ...]]) -> tuple[str, tuple[str, ...]]:
    """A ``WHERE`` clause keeping rows whose column holds one of the values given, and its
    values (column names come from :data:`.state_adapter.TABLES`, never from a caller)."""
    clauses: list[str] = []
    values: list[str] = []
    for column, allowed in where.items():
        clauses.append(f"{column} IN ({', '.join('?' * len(allowed))})")
        values.extend(allowed)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(values)


def _normalised(params: Any) -> tuple[str, Any]:
    """The parameters as logged, and as the operation sees them: a JSON round trip, so the
    activity log holds exactly what the operation read (Decimals become strings).

    Parameters nested deeper than :data:`~.defaults.MAX_BODY_DEPTH` are refused here too
    (the HTTP front refuses such bodies already; this guards direct ``venue.call`` use).
    """

    def encode(value: Any) -> Any:
        if isinstance(value, Decimal):
            return format(value, "f")
        raise TypeError(f"{type(value).__name__} is not a JSON value")

    def unusable(why: object) -> ExchangeError:
        return ExchangeError(defaults.BAD_BODY_CODE, detail=f"unusable parameters: {why}")

    try:
        text = json.dumps(params, default=encode, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        # E.g. 1e400 in a body parses to an infinite float, which JSON cannot carry back.
        raise unusable(exc) from None
    except RecursionError:
        raise unusable(f"nested deeper than {defaults.MAX_BODY_DEPTH} levels") from None
    if nests_deeper_than(text, defaults.MAX_BODY_DEPTH):
        raise unusable(f"nested deeper than {defaults.MAX_BODY_DEPTH} levels")
    return text, json.loads(text)


def _outcome(error: BaseException | None) -> str:
    """What the activity log says of a call: ``ok``, a refusal's code, or a bug's type."""
    if error is None:
        return "ok"
    if isinstance(error, ExchangeError):
        return f"E:{error.code}"
    return f"X:{type(error).__name__}"


# -- the file ----------------------------------------------------------------------------------

#: SQLite's (extended) error names for a file that is not a database, or whose pages do not
#: hold together (``SQLITE_CORRUPT_INDEX`` …).
_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def _file_error(path: Path, exc: sqlite3.Error, failed: str) -> PaperAccountError:
    """The :class:`PaperAccountError` for an SQLite error on ``path``: in use, damaged (never
    with the advice to reset: that would wipe what may still be recovered), or another
    failure (disk full, I/O error …). ``failed`` completes "the paper account file … could
    not be …"."""
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return PaperAccountInUse(
            f"the paper account {path} is open in another process; stop that one, "
            "or use another file (BITGET_NB_DATA / --data), or share the running "
            "exchange with BITGET_NB_LOCAL_URL"
        )
    if name.startswith(_DAMAGED):
        return PaperAccountError(
            f"the paper account file {path} could not be {failed}: it is damaged, or not a "
            f"paper account file (SQLite: {exc}). Keep it for a recovery attempt "
            f"(`sqlite3 {path} .recover`) and give another file (--data / BITGET_NB_DATA) "
            "to start a new account"
        )
    return PaperAccountError(f"the paper account file {path} could not be {failed} (SQLite: {exc})")


def _sqlite(failed: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a :class:`Store` method: its SQLite errors become :class:`PaperAccountError`."""

    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def translated(self: Store, *args: Any, **kwargs: Any) -> Any:
            with self.errors(failed):
                return method(self, *args, **kwargs)

        return translated

    return decorate


def _private_file(path: Path) -> None:
    """Create ``path`` readable by its owner only (it holds the account's API secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))


class Store:
    """The SQLite file: meta, keys, record tables, state documents and the activity log.

    One connection, used under the venue lock only (``check_same_thread=False``). Every
    method raises :class:`PaperAccountError` for an SQLite error, never ``sqlite3``'s own:
    damage shows wherever SQLite first reads the damaged page, which may be long after
    opening. Opening writes nothing (a file that is then refused is left as it was).
    """

    def __init__(self, path: Path, *, synchronous: str = SYNCHRONOUS) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        try:
            if not path.exists():
                _private_file(path)
        except OSError as exc:
            raise PaperAccountError(
                f"the paper account file {path} could not be created: {exc.strerror or exc}"
            ) from exc
        with self.errors("opened"):
            conn = sqlite3.connect(
                path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            try:
                # EXCLUSIVE: the first write lock is kept until close, so a second process
                # cannot interleave its own writes (and no -shm file). An empty write
                # transaction takes it now: a second opener is refused at once.
                conn.execute("PRAGMA locking_mode=EXCLUSIVE")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(f"PRAGMA synchronous={synchronous}")
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("COMMIT")
            except BaseException:
                conn.close()
                raise
        self._conn = conn

    @contextlib.contextmanager
    def errors(self, failed: str) -> Iterator[None]:
        """Turn an SQLite error inside the block into a :class:`PaperAccountError`."""
        try:
            yield
        except sqlite3.Error as exc:
            raise _file_error(self.path, exc, failed) from exc

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise PaperAccountError(f"the paper account file {self.path} is closed")
        return self._conn

    @_sqlite("closed")
    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- reading ------------------------------------------------------------------------------

    @_sqlite("read")
    def tables(self) -> set[str]:
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}

    @_sqlite("read")
    def meta(self) -> dict[str, str]:
        if "meta" not in self.tables():
            return {}
        return dict(self.conn.execute("SELECT key, value FROM meta").fetchall())

    @_sqlite("read")
    def keys(self) -> list[ApiKey]:
        rows = self.conn.execute(
            "SELECT api_key, secret, passphrase, read_only, permissions FROM api_keys "
            "ORDER BY position"
        ).fetchall()
        return [
            ApiKey(
                api_key=key,
                secret=secret,
                passphrase=passphrase,
                read_only=bool(read_only),
                permissions=tuple(p for p in permissions.split(",") if p),
            )
            for key, secret, passphrase, read_only, permissions in rows
        ]

    @_sqlite("read")
    def state_document(self, name: str) -> Any:
        row = self.conn.execute(
            f"SELECT doc FROM {adapter.STATE_TABLE} WHERE id = ?", (name,)
        ).fetchone()
        return None if row is None else json.loads(row[0])

    @_sqlite("read")
    def records(
        self, table: str, *, where: Mapping[str, tuple[str, ...]] | None = None
    ) -> list[adapter.Record]:
        """The rows of ``table`` in id order (the state documents, for
        :data:`~.state_adapter.STATE_TABLE`); ``where`` keeps those whose column holds one
        of the values given."""
        if table == adapter.STATE_TABLE:
            rows = self.conn.execute(f"SELECT id, doc FROM {table} ORDER BY id")
            return [adapter.Record(table, name, (), doc) for name, doc in rows]
        columns = adapter.TABLES[table]
        clauses, values = _where(where or {})
        rows = self.conn.execute(
            f"SELECT id, {', '.join(columns)}, doc FROM {table}{clauses} ORDER BY id", values
        )
        return [adapter.Record(table, r[0], r[1:-1], r[-1]) for r in rows]

    def damaged(self, exc: Exception) -> Exception:
        return _damaged_record(self.path, exc)

    @_sqlite("read")
    def size(self, table: str) -> tuple[int, str | None]:
        """How many rows ``table`` holds, and its largest id."""
        count, last = self.conn.execute(f"SELECT COUNT(*), MAX(id) FROM {table}").fetchone()
        return int(count), last

    @_sqlite("read")
    def doc(self, table: str, row_id: str) -> str | None:
        row = self.conn.execute(f"SELECT doc FROM {table} WHERE id = ?", (row_id,)).fetchone()
        return None if row is None else str(row[0])

    @_sqlite("read")
    def newest(
        self, table: str, *, low: str, high: str, where: Mapping[str, str], limit: int
    ) -> list[tuple[str, str]]:
        """Up to ``limit`` (id, document) pairs with ids in ``[low, high]`` newest first,
        whose columns equal ``where``'s values (one index range: see :func:`_schema`)."""
        clauses, values = _where({column: (value,) for column, value in where.items()})
        joined = " AND ".join(filter(None, (clauses.removeprefix(" WHERE "), "id BETWEEN ? AND ?")))
        rows = self.conn.execute(
            f"SELECT id, doc FROM {table} WHERE {joined} ORDER BY id DESC LIMIT ?",
            (*values, low, high, limit),
        )
        return rows.fetchall()

    @_sqlite("read")
    def id_by_time(self, table: str, ms: int, *, last: bool) -> str | None:
        """The largest id created at or before ``ms`` (``last``), or the smallest created
        at or after it."""
        if last:
            sql = f"SELECT id FROM {table} WHERE created_ms <= ? ORDER BY created_ms DESC, id DESC"
        else:
            sql = f"SELECT id FROM {table} WHERE created_ms >= ? ORDER BY created_ms, id"
        row = self.conn.execute(f"{sql} LIMIT 1", (ms,)).fetchone()
        return None if row is None else str(row[0])

    @_sqlite("read")
    def having(
        self, table: str, column: str, value: str, *, high: str, newest: bool, limit: int
    ) -> list[tuple[str, str]]:
        """(id, document) pairs whose ``column`` is ``value``, ids up to ``high``, newest or
        oldest first."""
        order = "DESC" if newest else "ASC"
        rows = self.conn.execute(
            f"SELECT id, doc FROM {table} WHERE {column} = ? AND id <= ? ORDER BY id {order} "
            "LIMIT ?",
            (value, high, limit),
        )
        return rows.fetchall()

    @_sqlite("read")
    def count(self) -> int:
        """Rows in the activity log."""
        return int(self.conn.execute("SELECT COUNT(*) FROM activity").fetchone()[0])

    # -- writing ------------------------------------------------------------------------------

    @staticmethod
    def put(conn: sqlite3.Connection, records: list[adapter.Record]) -> None:
        """Insert or replace ``records`` (inside the caller's transaction)."""
        by_table: dict[str, list[tuple[Any, ...]]] = {}
        for record in records:
            by_table.setdefault(record.table, []).append((record.id, *record.columns, record.doc))
        for table, rows in by_table.items():
            # Named: a column a migration added comes last in the table, not in TABLES.
            names = ("id", *adapter.TABLES.get(table, ()), "doc")
            marks = ", ".join("?" * len(names))
            conn.executemany(
                f"INSERT OR REPLACE INTO {table} ({', '.join(names)}) VALUES ({marks})", rows
            )

    @staticmethod
    def log(conn: sqlite3.Connection, activity: Mapping[str, Any]) -> None:
        """Append one activity row (inside the caller's transaction)."""
        conn.execute(
            "INSERT INTO activity (at_ms, kind, endpoint, params, api_key, outcome, rows)"
            " VALUES (:at_ms, :kind, :endpoint, :params, :api_key, :outcome, :rows)",
            {"endpoint": None, "params": None, "api_key": None, "outcome": None, **activity},
        )

    @staticmethod
    def put_meta(conn: sqlite3.Connection, meta: Mapping[str, str]) -> None:
        conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())

    @staticmethod
    def put_keys(conn: sqlite3.Connection, keys: list[ApiKey]) -> None:
        conn.execute("DELETE FROM api_keys")
        conn.executemany(
            "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?)",
            [
                (i, k.api_key, k.secret, k.passphrase, int(k.read_only), ",".join(k.permissions))
                for i, k in enumerate(keys)
            ],
        )

    @staticmethod
    def wipe(conn: sqlite3.Connection) -> None:
        """Delete every record and state document (inside the caller's transaction)."""
        for table in (*adapter.TABLES, adapter.STATE_TABLE):
            conn.execute(f"DELETE FROM {table}")

    @_sqlite("saved")
    def write(self, records: list[adapter.Record], activity: Mapping[str, Any]) -> None:
        """One command's rows and its activity row, in one transaction."""
        with self.transaction() as conn:
            self.put(conn, records)
            self.log(conn, activity)


# -- the journal -------------------------------------------------------------------------------


class Journal:
    """The persistence of one venue (``venue.journal``): after every call and ``advance`` it
    writes what changed, in one transaction inside the venue lock; it resets and closes."""

    def __init__(
        self,
        *,
        store: Store,
        venue: Venue,
        clock: PinnedClock,
        meta: Mapping[str, str],
        tracker: adapter.Tracker,
        read_only: bool = False,
    ) -> None:
        self.store = store
        self.venue = venue
        self.clock = clock
        self.meta = dict(meta)
        self.tracker = tracker
        self.read_only = read_only
        #: Set when a commit failed: the venue then refuses every call (what is in memory is
        #: ahead of the file) until the exchange is restarted from the file.
        self.failed: str | None = None
        self.closed = False

    @property
    def path(self) -> Path:
        return self.store.path

    @property
    def live_clock(self) -> ManualClock | WallClock:
        """The clock the account runs on (manual or wall), as restored from the file."""
        inner = self.clock.inner
        assert isinstance(inner, ManualClock | WallClock)
        return inner

    def _check_usable(self) -> None:
        if self.closed:
            raise PaperAccountError(
                f"the paper account {self.path} was closed; open it again with "
                "LocalExchange(path=...)"
            )
        if self.failed is not None:
            raise ExchangeError(
                "25000",
                http_status=503,
                detail=f"the paper account could not be saved ({self.failed}); restart the "
                "exchange to continue from what was saved",
            )
        if self.read_only:
            raise PaperAccountError(f"the paper account {self.path} was opened read-only")

    def _save(self, activity: dict[str, Any] | None, *, passive: bool = False) -> None:
        """Write what changed, with ``activity`` (or, when ``None``, only if anything did)."""
        # A transaction that is made anyway takes the passive documents along.
        records = self.tracker.changes(passive=passive or activity is not None)
        if activity is None:
            if not records:
                return
            activity = {"at_ms": self.clock.now_ms(), "kind": "tick"}
        try:
            self.store.write(records, {**activity, "rows": len(records)})
        except PaperAccountError as exc:
            self.failed = str(exc.__cause__ or exc)
            logger.error("cannot save to the paper account %s", self.path, exc_info=True)
            raise PaperAccountError(
                f"{exc}; the exchange refuses further calls until it is restarted (what was "
                "saved is kept)"
            ) from exc

    def call(self, endpoint: str, operation: Operation, params: Any, caller: Caller | None) -> Any:
        """Run one call at one instant and save what it changed; the venue holds its lock.

        A write always leaves an activity row, whatever its outcome (a refused modify with
        ``autoCancel`` still cancels; every call first catches up); a read only when its
        catch-up changed something. The rows are committed before this returns — before any
        answer is sent.
        """
        self._check_usable()
        write = ENDPOINTS[endpoint].write
        params_text = None
        if write:
            params_text, params = _normalised(params)
        now = self.clock.inner.now_ms()
        error: BaseException | None = None
        try:
            with self.clock.pinned(now):
                self.venue.trading.catch_up(now)
                return operation(params, caller)
        except Exception as exc:
            error = exc
            raise
        finally:
            activity = None
            if write:
                activity = {
                    "at_ms": now,
                    "kind": "call",
                    "endpoint": endpoint,
                    "params": params_text,
                    "api_key": None if caller is None else caller.key.api_key,
                    "outcome": _outcome(error),
                }
            with self.clock.pinned(now):
                self._save(activity)

    def advance(self, ms: int) -> int:
        """Move the clock forward, catch up, save; the venue holds its lock."""
        self._check_usable()
        now = self.clock.inner.advance(ms)
        error: BaseException | None = None
        try:
            with self.clock.pinned(now):
                self.venue.trading.catch_up(now)
        except Exception as exc:
            error = exc
            raise
        finally:
            activity = {"at_ms": now, "kind": "advance", "outcome": _outcome(error)}
            with self.clock.pinned(now):
                self._save({**activity, "params": json.dumps({"ms": int(ms)})}, passive=True)
        return now

    def reset(self) -> None:
        """Start the account over (see :meth:`Venue.reset`): every record deleted and the
        fresh account written, in one transaction; the venue holds its lock. Keys, uid, seed
        and the clock's position are kept."""
        self._check_usable()
        venue = self.venue
        now = self.clock.inner.now_ms()
        with self.clock.pinned(now):
            fresh = venue.new_state(keys=list(venue.account.keys), uid=venue.account.uid)
        previous = venue.state
        venue.install(fresh)
        try:
            _write_fresh(self.store, venue, {"reset_ms": str(time.time_ns() // 1_000_000)}, now)
        except BaseException:
            venue.install(previous)  # the file was not reset: neither is the account
            raise
        self.tracker = adapter.Tracker.for_written(venue)

    def close(self) -> None:
        """Save the clock and the catch-up horizon (a manual clock moved directly, without
        ``advance()``, shows nowhere else), then let go of the file."""
        with self.venue.lock:
            if self.closed:
                return
            if self.failed is None and not self.read_only:
                try:
                    self._save(None, passive=True)
                except PaperAccountError as exc:
                    logger.warning("cannot save the clock: %s", exc)
            self.closed = True
            self.store.close()


def _write_fresh(store: Store, venue: Venue, meta: Mapping[str, str], now: int) -> None:
    """Replace every record with ``venue``'s state, update ``meta``, log a reset: one
    transaction."""
    with store.errors("reset"), store.transaction() as conn:
        Store.wipe(conn)
        rows = adapter.everything(venue)
        Store.put(conn, rows)
        Store.put_meta(conn, meta)
        Store.log(conn, {"at_ms": now, "kind": "reset", "rows": len(rows)})


# -- opening -----------------------------------------------------------------------------------


def _balances_text(balances: Mapping[str, str | Decimal | int] | None) -> str:
    if balances is None:
        return "null"
    if any(isinstance(v, float) for v in balances.values()):
        raise TypeError("balances must be str or Decimal amounts, not float")
    return json.dumps({str(k).upper(): str(v) for k, v in balances.items()}, sort_keys=True)


def _same_balances(given: Mapping[str, str | Decimal | int], stored: str) -> bool:
    saved = json.loads(stored)
    if saved is None:
        return False
    try:
        return {str(k).upper(): Decimal(str(v)) for k, v in given.items()} == {
            k: Decimal(v) for k, v in saved.items()
        }
    except ArithmeticError:
        return False


def open_journal(
    path: str | os.PathLike[str],
    *,
    seed: int | None = None,
    start_ms: int | None = None,
    trading_key: ApiKey | None = None,
    balances: Mapping[str, str | Decimal | int] | None = None,
    catalogue: Catalogue | None = None,
    synchronous: str = SYNCHRONOUS,
    read_only: bool = False,
    market: MarketData | None = None,
    fees: FeeModel | None = None,
) -> Journal:
    """Open (or create) the paper account in ``path`` and return its journal, whose
    ``venue`` is the account read from the file.

    ``market`` and ``fees`` are what the venue trades on from now on (default: the seeded
    synthetic market and the catalogue's rates); what the file holds happened as it happened
    (a 0.1.0 file's log is converted on the seeded market with the catalogue's fees).

    A new file gets ``seed`` (default 7), a manual clock at ``start_ms`` or the wall clock,
    ``trading_key`` (else a generated one) plus a read-only key, and ``balances``. An existing
    file keeps all of these; an argument that contradicts it raises
    :class:`PaperAccountMismatch`. A 0.1.0 file is converted first (see the module
    docstring). ``read_only`` reads the account without writing to the file (for an
    export; a 0.1.0 file is then rebuilt in memory only) and refuses calls.
    """
    file = Path(path).expanduser()
    catalogue = catalogue or Catalogue.bundled()
    store = Store(file, synchronous=synchronous)
    given = {"seed": seed, "start_ms": start_ms, "balances": balances, "trading_key": trading_key}
    try:
        meta = store.meta()
        if not meta:
            if read_only:
                raise PaperAccountError(f"there is no paper account in {file}")
            return _create(
                store,
                seed=7 if seed is None else seed,
                start_ms=start_ms,
                trading_key=trading_key,
                balances=balances,
                catalogue=catalogue,
                market=market,
                fees=fees,
            )
        try:
            if meta.get("format") == legacy.FORMAT:
                return _convert(store, meta, catalogue, given, read_only=read_only)
            return _restore(
                store, meta, catalogue, given, read_only=read_only, market=market, fees=fees
            )
        except PaperAccountError:
            raise
        except _UNPARSABLE as exc:
            raise _damaged_record(file, exc) from exc
    except BaseException:
        store.close()
        raise


_UNPARSABLE = adapter.UNPARSABLE


def _damaged_record(file: Path, exc: BaseException) -> PaperAccountError:
    """SQLite found nothing wrong, but what it holds does not parse: a torn page whose bytes
    still look like rows, or an edited file."""
    return PaperAccountError(
        f"the paper account file {file} could not be read: its account record is damaged "
        f"({type(exc).__name__}: {exc}). Keep it for a recovery attempt and give another "
        "file (--data / BITGET_NB_DATA) to start a new account"
    )


def _new_meta(
    *, seed: int, uid: str, balances: str, manual: bool, start_ms: int | None
) -> dict[str, str]:
    from .. import __version__

    return {
        "format": FORMAT,
        "schema": str(SCHEMA_VERSION),
        "seed": str(seed),
        "uid": uid,
        "balances": balances,
        "clock": "manual" if manual else "wall",
        "start_ms": "" if start_ms is None else str(start_ms),
        "created_ms": str(time.time_ns() // 1_000_000),
        "created_by": f"bitget_nb {__version__}",
    }


def _create(
    store: Store,
    *,
    seed: int,
    start_ms: int | None,
    trading_key: ApiKey | None,
    balances: Mapping[str, str | Decimal | int] | None,
    catalogue: Catalogue,
    market: MarketData | None = None,
    fees: FeeModel | None = None,
) -> Journal:
    live: ManualClock | WallClock = ManualClock(start_ms) if start_ms is not None else WallClock()
    now = live.now_ms()
    clock = PinnedClock(live, pinned=now)
    keys = [trading_key or ApiKey.generate(), ApiKey.generate(read_only=True)]
    venue = Venue(clock=clock, seed=seed, catalogue=catalogue, keys=keys, balances=balances,
                  market=market, fees=fees)  # fmt: skip
    meta = _new_meta(
        seed=seed,
        uid=venue.account.uid,
        balances=_balances_text(balances),
        manual=start_ms is not None,
        start_ms=start_ms,
    )
    with store.errors("saved"), store.transaction() as conn:
        for statement in _schema():
            conn.execute(statement)
        Store.put_meta(conn, meta)
        Store.put_keys(conn, keys)
        rows = adapter.everything(venue)
        Store.put(conn, rows)
        Store.log(conn, {"at_ms": now, "kind": "create", "rows": len(rows)})
    clock.pin(None)
    return _journal(store, venue, clock, meta, adapter.Tracker.for_written(venue))


def _journal(
    store: Store,
    venue: Venue,
    clock: PinnedClock,
    meta: Mapping[str, str],
    tracker: adapter.Tracker,
    *,
    read_only: bool = False,
) -> Journal:
    journal = Journal(
        store=store, venue=venue, clock=clock, meta=meta, tracker=tracker, read_only=read_only
    )
    venue.journal = journal
    return journal


def _check(
    meta: Mapping[str, str], file: Path, keys: list[ApiKey], given: Mapping[str, Any]
) -> None:
    """Refuse arguments that contradict the file (never its catalogue or code)."""
    remedy = (
        f"use another file, or start this one over: python -m bitget_nb reset --data {file} --yes"
    )
    seed = given["seed"]
    if seed is not None and str(seed) != meta["seed"]:
        raise PaperAccountMismatch(
            f"the paper account {file} was made with seed {meta['seed']}, not {seed}: its "
            f"market differs; open it with seed {meta['seed']} (or no seed), or {remedy}"
        )
    start_ms = given["start_ms"]
    if start_ms is not None and (meta["clock"] != "manual" or meta["start_ms"] != str(start_ms)):
        was = (
            f"a manual clock started at {meta['start_ms']}"
            if meta["clock"] == "manual"
            else "the wall clock"
        )
        raise PaperAccountMismatch(
            f"the paper account {file} runs on {was}, not a manual clock started at "
            f"{start_ms}; open it without a start time to resume its clock, or {remedy}"
        )
    balances = given["balances"]
    if balances is not None and not _same_balances(balances, meta["balances"]):
        raise PaperAccountMismatch(
            f"the paper account {file} was funded with {meta['balances']}, not these balances; "
            f"open it without balances, or {remedy}"
        )
    if sorted(k.read_only for k in keys) != [False, True]:  # what _create always writes
        raise ValueError("the file must hold one read-write and one read-only API key")
    trading_key = given["trading_key"]
    if trading_key is not None:
        own = next(k for k in keys if not k.read_only)
        if own.credentials() != trading_key.credentials():
            raise PaperAccountMismatch(
                f"the paper account {file} has another API key; open it without keys to use "
                "its own (they are printed by `python -m bitget_nb exchange --data ...`)"
            )


def _migrate(store: Store, meta: Mapping[str, str]) -> dict[str, str]:
    """Bring an older schema forward (one transaction); refuse a newer one."""
    if meta.get("format") != FORMAT:
        raise PaperAccountMismatch(
            f"{store.path} is not a paper account of this bitget_nb (format "
            f"{meta.get('format')!r}, expected {FORMAT!r})"
        )
    found = int(meta["schema"])
    if found > SCHEMA_VERSION:
        raise PaperAccountError(
            f"the paper account {store.path} was written by a newer bitget_nb "
            f"({meta.get('created_by', '?')}, schema {found}; this one reads up to "
            f"{SCHEMA_VERSION}): upgrade bitget_nb to open it"
        )
    if found == SCHEMA_VERSION:
        return dict(meta)
    with store.errors("migrated"), store.transaction() as conn:
        for version in range(found, SCHEMA_VERSION):
            MIGRATIONS[version](conn)
        Store.put_meta(conn, {"schema": str(SCHEMA_VERSION)})
    logger.info("migrated %s from schema %d to %d", store.path, found, SCHEMA_VERSION)
    return {**meta, "schema": str(SCHEMA_VERSION)}


def _clock_of(meta: Mapping[str, str], doc: Mapping[str, Any] | None) -> ManualClock | WallClock:
    """The account's clock where the file's ``clock`` document left it."""
    kind = "manual" if meta["clock"] == "manual" else "wall"
    if doc is None or doc.get("kind") != kind:
        raise ValueError(f"the clock document does not describe a {kind} clock: {doc!r}")
    if kind == "manual":
        return ManualClock(int(doc["now_ms"]))
    return WallClock(int(doc["offset_ms"]))


def _restore(
    store: Store,
    meta: Mapping[str, str],
    catalogue: Catalogue,
    given: Mapping[str, Any],
    *,
    read_only: bool,
    market: MarketData | None = None,
    fees: FeeModel | None = None,
) -> Journal:
    file = store.path
    # Even read-only: a migration changes the format, never the account.
    meta = _migrate(store, meta)
    keys = store.keys()
    _check(meta, file, keys, given)
    live = _clock_of(meta, store.state_document("clock"))
    clock = PinnedClock(live, pinned=live.now_ms())
    venue = Venue(
        clock=clock,
        seed=int(meta["seed"]),
        catalogue=catalogue,
        keys=keys,
        balances=json.loads(meta["balances"]),
        uid=meta["uid"],
        market=market,
        fees=fees,
    )
    tracker = adapter.load(venue, store)
    clock.pin(None)
    logger.debug("opened %s", file)
    return _journal(store, venue, clock, meta, tracker, read_only=read_only)


def _convert(
    store: Store,
    meta: Mapping[str, str],
    catalogue: Catalogue,
    given: Mapping[str, Any],
    *,
    read_only: bool,
) -> Journal:
    """A 0.1.0 file: rebuilt through its log (the file untouched if that goes differently),
    copied beside itself, rewritten as rows in one transaction (read-only: in memory only)."""
    file = store.path
    keys = store.keys()
    _check(meta, file, keys, given)
    with store.errors("read"):
        try:
            venue = legacy.rebuild(store.conn, file, meta, keys, catalogue)
        except legacy.Diverged as exc:
            raise PaperAccountError(str(exc)) from None
    clock = venue.clock
    assert isinstance(clock, PinnedClock)
    if read_only:
        tracker = adapter.Tracker.for_written(venue)
        return _journal(store, venue, clock, meta, tracker, read_only=True)
    backup = _backup(store)
    manual = meta["clock"] == "manual"
    new_meta = _new_meta(
        seed=int(meta["seed"]),
        uid=meta["uid"],
        balances=meta["balances"],
        manual=manual,
        start_ms=int(meta["start_ms"]) if manual and meta.get("start_ms") else None,
    )
    new_meta.update(
        created_ms=meta.get("created_ms", new_meta["created_ms"]),
        created_by=meta.get("created_by", "bitget_nb 0.1.0"),
        converted_ms=str(time.time_ns() // 1_000_000),
        converted_backup=backup.name,
    )
    with store.errors("converted"), store.transaction() as conn:
        log = [
            {
                "at_ms": c.at_ms,
                "kind": c.kind,
                "endpoint": c.endpoint,
                "params": json.dumps({"ms": c.advance_ms}) if c.kind == "advance" else c.params,
                "api_key": c.api_key,
                "outcome": c.outcome,
                "rows": 0,
            }
            for c in legacy.commands(conn)
        ]
        for statement in ("DROP TABLE commands", "DROP TABLE snapshots", "DELETE FROM meta"):
            conn.execute(statement)
        for statement in _schema():
            conn.execute(statement)
        Store.put_meta(conn, new_meta)
        for row in log:
            Store.log(conn, row)
        rows = adapter.everything(venue)
        Store.put(conn, rows)
        Store.log(conn, {"at_ms": clock.now_ms(), "kind": "convert", "rows": len(rows)})
    logger.info("converted the 0.1.0 paper account %s; the original is kept in %s", file, backup)
    return _journal(store, venue, clock, new_meta, adapter.Tracker.for_written(venue))


def _backup(store: Store) -> Path:
    """A copy of the open file beside it, byte for byte, readable by its owner only, under a
    name not taken yet. Whatever a killed 0.1.0 process left in ``FILE-wal`` is first
    checkpointed into the file (the exclusive lock keeps anyone else from writing), so the
    copy alone is the whole account."""
    file = store.path
    target = file.with_name(file.name + BACKUP_SUFFIX)
    number = 1
    while target.exists():
        target = file.with_name(f"{file.name}{BACKUP_SUFFIX}.{number}")
        number += 1
    try:
        with store.errors("copied"):
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _private_file(target)
        with file.open("rb") as source, target.open("wb") as copy:
            shutil.copyfileobj(source, copy)
            copy.flush()
            os.fsync(copy.fileno())
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise PaperAccountError(
            f"the paper account {file} is in the 0.1.0 format and is converted after a copy "
            f"of it is kept, but {target} could not be written: {exc.strerror or exc}; the "
            "file is left as it was"
        ) from exc
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


# -- whole-file operations (the command line) --------------------------------------------------


def reset_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """Start the paper account in ``path`` over without reading its records: balances, no
    orders, same keys, uid and seed; the clock keeps its position. Returns the file's meta."""
    file = Path(path).expanduser()
    if not file.exists():
        raise PaperAccountError(f"there is no paper account in {file}")
    store = Store(file)
    try:
        meta = store.meta()
        try:
            if meta.get("format") == legacy.FORMAT:
                with store.errors("reset"):
                    return legacy.reset(store.conn, meta)
            meta = _migrate(store, meta)
            keys = store.keys()
            live = _clock_of(meta, store.state_document("clock"))
            now = live.now_ms()
            clock = PinnedClock(live, pinned=now)
            venue = Venue(
                clock=clock,
                seed=int(meta["seed"]),
                keys=keys,
                balances=json.loads(meta["balances"]),
                uid=meta["uid"],
            )
        except PaperAccountError:
            raise
        except _UNPARSABLE as exc:
            raise _damaged_record(file, exc) from exc
        update = {"reset_ms": str(time.time_ns() // 1_000_000)}
        _write_fresh(store, venue, update, now)
        return {**meta, **update}
    finally:
        store.close()


def export_file(
    path: str | os.PathLike[str],
) -> tuple[dict[str, str], dict[str, list[dict[str, str]]]]:
    """The paper account in ``path`` read without writing: (summary, tables of
    :func:`~.canonical.export_tables`). The summary carries no secrets."""
    file = Path(path).expanduser()
    if not file.exists():
        raise PaperAccountError(f"there is no paper account in {file}")
    journal = open_journal(file, read_only=True)
    try:
        venue = journal.venue
        live = journal.live_clock
        summary = {
            "file": str(file),
            "uid": venue.account.uid,
            "seed": str(venue.seed),
            "clock": journal.meta["clock"],
            "nowMs": str(live.now_ms()),
            "registeredMs": str(venue.account.registered_ms),
            "commands": str(journal.store.count() if "activity" in journal.store.tables() else 0),
        }
        return summary, export_tables(venue)
    finally:
        journal.close()
