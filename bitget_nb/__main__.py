"""Command line: ``python -m bitget_nb <command>`` (also installed as ``bitget-nb``).

``exchange`` runs the local paper exchange in the foreground and prints its URL and keys;
with ``--data`` its paper account is kept in that SQLite file and survives restarts::

    python -m bitget_nb exchange --port 8808 --seed 7 --start 2025-06-01T00:00:00Z
    python -m bitget_nb exchange --data ~/paper.sqlite3

``reset`` starts a paper account over (the initial balances, no orders; keys and uid kept)
and ``export`` writes its orders, fills, balances, positions, strategy orders and transfers
as JSON or CSV, ids and amounts as exact strings::

    python -m bitget_nb reset --data ~/paper.sqlite3 --yes
    python -m bitget_nb export --data ~/paper.sqlite3 --format csv --out ./paper

Without ``--data``, ``reset`` and ``export`` use the embedded exchange's file (the one
``bitget_nb.connect()`` keeps, see :func:`bitget_nb.connection.data_path`).

This module is the one place of the package that prints.
"""

from __future__ import annotations

import argparse
import csv
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

__all__ = ["main"]


def _exchange(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    # Imported here so that `--help` and other commands do not pay for numpy and Werkzeug.
    from ._net import is_loopback_host as is_loopback
    from .exchange import defaults
    from .exchange.clock import WallClock, to_ms
    from .exchange.local import LocalExchange

    if not args.allow_remote and not is_loopback(args.host):
        parser.error(
            f"--host {args.host} is not a loopback address; the paper exchange serves this "
            "machine only (add --allow-remote to serve other machines on purpose)"
        )
    keys = (args.api_key, args.api_secret, args.api_pass)
    if any(keys) and not all(keys):
        parser.error("--api-key, --api-secret and --api-pass go together")
    try:
        start = to_ms(args.start) if args.start is not None else None
    except (TypeError, ValueError) as exc:
        parser.error(f"--start: {exc}")
    from .exchange.persistence import PaperAccountError

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            exchange = LocalExchange(
                seed=args.seed,
                start_time=start,
                host=args.host,
                port=args.port,
                ws_port=args.ws_port,
                api_key=args.api_key,
                api_secret=args.api_secret,
                api_pass=args.api_pass,
                timestamp_window_ms=(
                    defaults.TIMESTAMP_WINDOW_MS
                    if args.timestamp_window_ms is None
                    else args.timestamp_window_ms
                ),
                rate_limits=not args.no_rate_limits,
                allow_remote=args.allow_remote,
                path=args.data,
            )
        except PaperAccountError as exc:
            print(f"cannot open the paper account: {exc}", file=sys.stderr)
            return 1
        try:
            exchange.start()
        except OSError as exc:
            exchange.close()
            print(
                f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr
            )
            return 1
        with exchange:
            creds = exchange.credentials
            read_only = exchange.read_only_credentials
            manual = not isinstance(exchange.clock, WallClock)
            clock = f"manual clock at {exchange.now_ms()} ms" if manual else "wall clock"
            print(f"bitget_nb local exchange listening on {exchange.base_url}")
            print(f"  WebSocket (public and private) on {exchange.ws_url}")
            print(f"  seed {exchange.seed}, {clock}, uid {exchange.uid}")
            if exchange.path is None:
                print("  paper account in memory (gone when this stops; --data FILE keeps it)")
            else:
                print(f"  paper account saved in {exchange.path}")
            print("  read-write key (paper money, this machine only):")
            print(f"    BITGET_API_KEY={creds['api_key']}")
            print(f"    BITGET_API_SECRET={creds['api_secret']}")
            print(f"    BITGET_API_PASS={creds['api_pass']}")
            print("  read-only key:")
            print(f"    api_key={read_only['api_key']}")
            print(f"    api_secret={read_only['api_secret']}")
            print(f"    api_pass={read_only['api_pass']}")
            print("Press Ctrl+C to stop.", flush=True)
            while not stop.wait(0.5):
                pass
        print("stopped", flush=True)
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _data_file(args: argparse.Namespace) -> Path:
    if args.data is not None:
        return Path(args.data).expanduser()
    from .connection import data_path

    found = data_path()
    if found is None:
        raise SystemExit(
            "BITGET_NB_DATA or BITGET_NB_START keep the embedded account in memory: there is "
            "no file to use; give --data FILE"
        )
    return found


def _reset(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .exchange.persistence import PaperAccountError, reset_file

    path = _data_file(args)
    if not args.yes:
        print(
            f"This starts the paper account in {path} over: every order, fill, position, "
            "strategy order and transfer is deleted and the balances go back to the start "
            "(keys and uid are kept). Run again with --yes to do it.",
            file=sys.stderr,
        )
        return 2
    try:
        meta = reset_file(path)
    except PaperAccountError as exc:
        print(f"cannot reset: {exc}", file=sys.stderr)
        return 1
    print(f"paper account {path} (uid {meta['uid']}) reset: balances {meta['balances']}")
    return 0


_TABLES = ("orders", "fills", "balances", "positions", "strategy_orders", "transfers")


def _export(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .exchange.persistence import PaperAccountError, export_file

    path = _data_file(args)
    try:
        summary, tables = export_file(path)
    except PaperAccountError as exc:
        print(f"cannot export: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        text = json.dumps({"account": summary, **tables}, indent=1, ensure_ascii=False)
        if args.out is None:
            print(text)
            return 0
        out = Path(args.out).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        target = out / "paper-account.json"
        target.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {target}")
        return 0
    out = Path(args.out or ".").expanduser()
    out.mkdir(parents=True, exist_ok=True)
    for name in _TABLES:
        rows = tables[name]
        target = out / f"{name}.csv"
        with target.open("w", newline="", encoding="utf-8") as handle:
            fields = list(rows[0]) if rows else []
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {target} ({len(rows)} rows)")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bitget_nb", description="bitget_nb command line tools"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ex = commands.add_parser(
        "exchange",
        help="run the local paper exchange",
        description="Run the local Bitget V3 paper exchange until SIGINT or SIGTERM.",
    )
    ex.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    ex.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    ex.add_argument("--ws-port", type=int, default=0, help="WebSocket port (default: a free one)")
    ex.add_argument(
        "--seed",
        type=int,
        default=None,
        help="market seed (default 7; with --data, the file's seed)",
    )
    ex.add_argument(
        "--start",
        metavar="ISO|MS",
        help="start a manual clock at this time (ISO 8601 or ms); default: the wall clock",
    )
    ex.add_argument("--api-key", help="use this API key instead of a generated one")
    ex.add_argument("--api-secret", help="its secret")
    ex.add_argument("--api-pass", help="its passphrase")
    ex.add_argument(
        "--no-rate-limits", action="store_true", help="do not answer 429 for fast clients"
    )
    ex.add_argument(
        "--timestamp-window-ms",
        type=int,
        metavar="N",
        help="accepted ACCESS-TIMESTAMP skew in ms either side of server time (default 30000)",
    )
    ex.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (anyone who can reach it can use the keys)",
    )
    ex.add_argument(
        "--data",
        metavar="FILE",
        help="keep the paper account in this SQLite file (made if missing) so it survives "
        "restarts; default: in memory",
    )
    ex.set_defaults(run=_exchange)

    data_help = "the paper account file (default: the one bitget_nb.connect() uses)"
    reset = commands.add_parser(
        "reset",
        help="start a paper account over",
        description="Delete every order, fill, position, strategy order and transfer of a "
        "paper account and restore its initial balances; its keys, uid and seed are kept.",
    )
    reset.add_argument("--data", metavar="FILE", help=data_help)
    reset.add_argument("--yes", action="store_true", help="really do it")
    reset.set_defaults(run=_reset)

    export = commands.add_parser(
        "export",
        help="write a paper account's orders, fills, balances, positions and transfers",
        description="Export a paper account (not while an exchange has it open): orders, "
        "fills, balances, positions, strategy orders and transfers; ids and amounts as exact "
        "strings.",
    )
    export.add_argument("--data", metavar="FILE", help=data_help)
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument(
        "--out",
        metavar="DIR",
        help="directory to write into (json: paper-account.json, csv: one file per table); "
        "default: json to standard output, csv to the current directory",
    )
    export.set_defaults(run=_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    return int(args.run(args, parser))


if __name__ == "__main__":
    sys.exit(main())
