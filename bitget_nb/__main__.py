"""Command line: ``python -m bitget_nb <command>`` (also installed as ``bitget-nb``).

``exchange`` runs the local paper exchange in the foreground and prints its URL and keys::

    python -m bitget_nb exchange --port 8808 --seed 7 --start 2025-06-01T00:00:00Z

This module is the one place of the package that prints.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

__all__ = ["main"]


def _exchange(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    # Imported here so that `--help` and other commands do not pay for numpy and Werkzeug.
    from .exchange import defaults
    from .exchange.clock import to_ms
    from .exchange.local import LocalExchange, is_loopback

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

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        exchange = LocalExchange(
            seed=args.seed,
            start_time=start,
            host=args.host,
            port=args.port,
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
        )
        try:
            exchange.start()
        except OSError as exc:
            print(
                f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr
            )
            return 1
        with exchange:
            creds = exchange.credentials
            read_only = exchange.read_only_credentials
            clock = "manual (starts at --start)" if start is not None else "wall clock"
            print(f"bitget_nb local exchange listening on {exchange.base_url}")
            print(f"  seed {args.seed}, {clock}, uid {exchange.uid}")
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
    ex.add_argument("--seed", type=int, default=7, help="market seed (default 7)")
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
        help="accepted ACCESS-TIMESTAMP skew in ms (default 30000, spec §1.5)",
    )
    ex.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (anyone who can reach it can use the keys)",
    )
    ex.set_defaults(run=_exchange)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    return int(args.run(args, parser))


if __name__ == "__main__":
    sys.exit(main())
