"""The one-time converter of a 0.1.0 paper account file (a command log replayed on open).

Format 1 (``meta.format`` = :data:`FORMAT`, written by bitget_nb 0.1.0) stored the commands
rather than the state: every write call, every ``advance`` and every catch-up that had
something due, each with the instant it ran at and a digest of its outcome, plus pickled
snapshots that only the same code version could load. The row format (:mod:`.persistence`)
reads state instead; this module is what is left of the old design, kept only to rebuild
such a file ONCE, by running its log through the current code:

* :func:`rebuild` replays every command (the snapshots are of another code version and are
  ignored, never unpickled) at its logged instant and checks each logged outcome digest. A
  command that comes out differently — the code now behaves differently for it — stops the
  rebuild with a :class:`~.persistence.PaperAccountError` naming the command; the caller
  leaves the file as it was.
* :func:`commands` lists the log (the converted file keeps it as its activity log).
* :func:`reset` starts a format-1 file over the way 0.1.0 did (empty log, meta updated), so
  ``python -m bitget_nb reset`` works on a file that would not convert.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .accounts import ApiKey
from .clock import ManualClock, PinnedClock, WallClock
from .instruments import Catalogue
from .params import ExchangeError
from .venue import Venue

if TYPE_CHECKING:
    from .venue import Caller, Operation

__all__ = ["FORMAT", "Command", "Diverged", "commands", "rebuild", "reset"]

#: The format string of a 0.1.0 file (``meta.format``).
FORMAT = "bitget_nb paper account 1"
_DIGEST_CHARS = 16


@dataclass(frozen=True, slots=True)
class Command:
    """One row of a format-1 command log."""

    seq: int
    kind: str  # "call" | "tick" | "advance"
    at_ms: int
    endpoint: str | None
    params: str | None
    api_key: str | None
    advance_ms: int | None
    outcome: str | None


def commands(conn: sqlite3.Connection) -> Iterator[Command]:
    """The log in order (read while iterated)."""
    cursor = conn.execute(
        "SELECT seq, kind, at_ms, endpoint, params, api_key, advance_ms, outcome "
        "FROM commands ORDER BY seq"
    )
    for row in cursor:
        yield Command(*row)


@functools.cache
def code_fingerprint() -> str:
    """The digest 0.1.0 recorded of the exchange's code (``meta.created_by``): tells a
    divergence of the same code (an edited file) from one of changed code."""
    root = Path(__file__).resolve().parents[1]
    files = sorted([*root.joinpath("exchange").glob("*.py")]) + [
        root / name for name in ("vocab.py", "endpoints.py", "errors.py")
    ]
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(root).as_posix().encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:_DIGEST_CHARS]


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:_DIGEST_CHARS]


def _effect(venue: Venue) -> list[Any]:
    """What 0.1.0 digested of the state after a command: order and fill counts and every
    non-zero balance."""
    store = venue.trading.store
    balances = [
        [coin, str(b.available), str(b.locked), str(b.debt)]
        for coin, b in sorted(venue.account.balances.items())
        if b.available or b.locked or b.debt
    ]
    return [len(store), store.fill_count, balances]


def _outcome(venue: Venue, *, answer: Any = None, error: BaseException | None = None) -> str:
    """The outcome digest exactly as 0.1.0 wrote it."""
    if error is None:
        return _digest([answer, _effect(venue)])
    if isinstance(error, ExchangeError):
        return f"E:{error.code}:{_digest(_effect(venue))}"
    return f"X:{type(error).__name__}"


def _clock_totals(conn: sqlite3.Connection) -> tuple[int, int | None]:
    total, latest = conn.execute(
        "SELECT COALESCE(SUM(advance_ms), 0), MAX(at_ms) FROM commands"
    ).fetchone()
    return int(total), None if latest is None else int(latest)


def _manual_position(meta: Mapping[str, str], advanced: int, latest: int | None) -> int:
    """Where a manual clock stood: the latest of its logged advances, its last command and
    its position at the last close."""
    registered = int(meta["registered_ms"])
    candidates = [int(meta["clock_base"]) + advanced, registered, latest or registered]
    if meta.get("clock_now"):
        candidates.append(int(meta["clock_now"]))
    return max(candidates)


def clock_of(conn: sqlite3.Connection, meta: Mapping[str, str]) -> ManualClock | WallClock:
    """The clock a format-1 file runs on, where it stands now."""
    advanced, latest = _clock_totals(conn)
    if meta["clock"] == "manual":
        return ManualClock(_manual_position(meta, advanced, latest))
    return WallClock(int(meta["clock_base"]) + advanced)


def rebuild(
    conn: sqlite3.Connection,
    file: Path,
    meta: Mapping[str, str],
    keys: list[ApiKey],
    catalogue: Catalogue,
) -> Venue:
    """The account of a format-1 file, rebuilt by replaying its whole log through this
    code; its clock (a :class:`~.clock.PinnedClock`) is left unpinned where the file's clock
    stands. Raises :class:`~.persistence.PaperAccountError` naming the first command that
    comes out differently."""
    registered = int(meta["registered_ms"])
    clock = PinnedClock(ManualClock(registered), pinned=registered)
    venue = Venue(
        clock=clock,
        seed=int(meta["seed"]),
        catalogue=catalogue,
        keys=keys,
        balances=json.loads(meta["balances"]),
        uid=meta["uid"],
    )
    for command in commands(conn):
        _replay_one(venue, clock, command, file, meta)
    clock.inner = clock_of(conn, meta)
    clock.pin(None)
    return venue


def _replay_one(
    venue: Venue, clock: PinnedClock, command: Command, file: Path, meta: Mapping[str, str]
) -> None:
    clock.pin(command.at_ms)
    operation: Operation | None = None
    caller: Caller | None = None
    if command.kind == "call":
        if command.endpoint is None or command.params is None:
            raise _diverged(file, command, meta, "the row is incomplete")
        if not venue.implements(command.endpoint):
            raise _diverged(file, command, meta, "this code has no such endpoint")
        operation = venue.operation(command.endpoint)
        if command.api_key is not None:
            caller = venue.find_key(command.api_key)
            if caller is None:
                raise _diverged(file, command, meta, "it names an unknown key")
    elif command.kind not in ("tick", "advance"):
        raise _diverged(file, command, meta, f"unknown kind {command.kind!r}")
    answer: Any = None
    error: BaseException | None = None
    try:
        venue.trading.catch_up(command.at_ms)
        if operation is not None:
            assert command.params is not None
            answer = operation(json.loads(command.params), caller)
    except Exception as exc:
        error = exc
    if command.kind != "call" and isinstance(error, ExchangeError):
        raise _diverged(file, command, meta, f"a catch-up was refused: {error}")
    got = _outcome(venue, answer=answer, error=error)
    if got != command.outcome:
        raise _diverged(file, command, meta, f"the file says {command.outcome}, this code {got}")


class Diverged(Exception):
    """The 0.1.0 log replayed differently (persistence raises it as a PaperAccountError;
    this module does not import persistence, which imports it)."""


def _diverged(file: Path, command: Command, meta: Mapping[str, str], what: str) -> Exception:
    where = f"command #{command.seq} ({command.endpoint or command.kind} at {command.at_ms} ms)"
    writer = meta.get("created_by", "an unknown version")
    if f"code {code_fingerprint()})" in writer:
        cause = "the same code wrote it, so the file was edited"
    else:
        cause = f"it was written by {writer}, and this code behaves differently for that command"
    return Diverged(
        f"the paper account {file} is in the 0.1.0 format, which is converted by replaying "
        f"its command log once, and the replay went differently at {where}: {what}; {cause}. "
        f"The file is left as it was: export it with the version that wrote it "
        f"(python -m bitget_nb export --data {file}), or start it over: "
        f"python -m bitget_nb reset --data {file} --yes"
    )


def reset(conn: sqlite3.Connection, meta: Mapping[str, str]) -> dict[str, str]:
    """Start a format-1 file over as 0.1.0 did: delete the log and the snapshots, register
    the account anew where its clock stands (keys, uid, seed, balances kept), in one
    transaction. Returns the updated meta."""
    live = clock_of(conn, meta)
    now = live.now_ms()
    base = now if isinstance(live, ManualClock) else live.offset_ms
    update = {
        "registered_ms": str(now),
        "clock_now": str(now),
        "clock_base": str(base),
        "reset_ms": str(time.time_ns() // 1_000_000),
    }
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM commands")
        conn.execute("DELETE FROM snapshots")
        conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", update.items())
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return {**meta, **update}
