"""``connect()``: a client for the environment you name — the embedded exchange by default.

With nothing set, :func:`connect` starts one :class:`~bitget_nb.LocalExchange` per process on
127.0.0.1 and returns a client to it: no keys, no network. ``connect("demo")`` and
``connect("live")`` need keys (arguments or ``BITGET_API_*`` variables) and say which one is
missing; nothing ever defaults to live.

To share one exchange between processes (a standalone ``python -m bitget_nb exchange``, a
Voila page, a test), set ``BITGET_NB_LOCAL_URL`` to its base URL and the ``BITGET_API_*``
variables to its credentials: ``connect()`` then talks to it instead of starting its own
(and ``BITGET_NB_LOCAL_WS_URL`` to its ``ws_url`` for ``client.stream()``).

Two variables make the embedded exchange repeatable, for tests and notebooks with stored
outputs: ``BITGET_NB_SEED`` (an integer) and ``BITGET_NB_START`` (an ISO time or ms epoch).
When ``BITGET_NB_START`` is set the exchange's clock is manual: it starts there and moves
only with ``exchange.advance(...)``. Unset, the market moves with the wall clock.

The embedded exchange's paper account survives a kernel restart: it is kept in
``paper-account.sqlite3`` under ``platformdirs.user_data_dir("bitget_nb")``
(:func:`data_path`). ``BITGET_NB_DATA`` overrides that with another file (or a directory
to keep that file in), or ``:memory:`` for an account that lives as long as the process.
With ``BITGET_NB_START`` set (repeatable runs) the default is in memory, so stored notebook
outputs never depend on what an earlier run left behind. ``python -m bitget_nb reset`` and
``export`` work on the same file.

``connect("local", fresh=True)`` is for notebooks that must start from the same state every
time they run — the tutorials: the process's embedded exchange starts over on a new, funded
account in memory (seeded from ``BITGET_NB_SEED`` and ``BITGET_NB_START`` as above). A second
Run All, or a Restart & Run All, then finds exactly what the first found, and the persistent
paper account of your own notebooks is never opened, let alone changed.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._net import base_url_problem, is_loopback_url
from .client import BitgetClient
from .config import Credentials, Secret, environment
from .errors import ConfigurationError

if TYPE_CHECKING:
    from .exchange import LocalExchange

__all__ = ["connect", "data_path", "default_exchange", "running_exchange"]

SEED_VAR = "BITGET_NB_SEED"
LOCAL_URL_VAR = "BITGET_NB_LOCAL_URL"
#: The shared exchange's WebSocket URL (its ``ws_url``), for ``client.stream()``.
LOCAL_WS_URL_VAR = "BITGET_NB_LOCAL_WS_URL"
START_VAR = "BITGET_NB_START"
DATA_VAR = "BITGET_NB_DATA"
#: ``BITGET_NB_DATA`` value for an account kept in memory only.
MEMORY = ":memory:"
#: The embedded exchange's file in the data directory.
DATA_FILE = "paper-account.sqlite3"

_lock = threading.Lock()
_default: LocalExchange | None = None


def data_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where the embedded exchange keeps its paper account; ``None`` means in memory.

    ``BITGET_NB_DATA`` wins: ``:memory:``, a directory (the file goes inside it) or a file.
    Otherwise in memory when ``BITGET_NB_START`` is set (a repeatable run), else
    ``paper-account.sqlite3`` in ``platformdirs.user_data_dir("bitget_nb")``.

    >>> data_path({"BITGET_NB_DATA": ":memory:"}) is None
    True
    >>> data_path({"BITGET_NB_START": "2026-01-05T00:00:00Z"}) is None
    True
    >>> data_path({"BITGET_NB_DATA": "/tmp/acct.sqlite3"}).name
    'acct.sqlite3'
    """
    env = os.environ if environ is None else environ
    given = env.get(DATA_VAR, "").strip()
    if given == MEMORY:
        return None
    if given:
        path = Path(given).expanduser()
        return path / DATA_FILE if path.is_dir() else path
    if env.get(START_VAR, "").strip():
        return None
    import platformdirs  # lazy: only the embedded default needs it

    return Path(platformdirs.user_data_dir("bitget_nb")) / DATA_FILE


def _new_exchange(path: Path | None) -> LocalExchange:
    """A started exchange seeded from ``BITGET_NB_SEED``, clocked from ``BITGET_NB_START``."""
    from .exchange import LocalExchange  # lazy: keeps `import bitget_nb` light

    seed_text = os.environ.get(SEED_VAR, "").strip()
    try:
        # None: 7 for a new paper account, the file's seed for an existing one.
        seed = int(seed_text) if seed_text else None
    except ValueError:
        raise ConfigurationError(f"{SEED_VAR} must be an integer, got {seed_text!r}") from None
    start = os.environ.get(START_VAR, "").strip() or None
    return LocalExchange(seed=seed, start_time=start, path=path).start()


def _close_default() -> None:
    """Stop the embedded exchange, if one runs (at exit)."""
    global _default
    with _lock:
        exchange, _default = _default, None
        if exchange is not None:
            exchange.close()


atexit.register(_close_default)


def default_exchange() -> LocalExchange:
    """The process's embedded exchange, started on first use and stopped at exit."""
    global _default
    with _lock:
        if _default is None:
            _default = _new_exchange(data_path())
        return _default


def running_exchange() -> LocalExchange | None:
    """The process's embedded exchange if it has been started, without starting one."""
    with _lock:
        return _default


def _fresh_exchange() -> LocalExchange:
    """Start the process's embedded exchange over on a new account in memory; the one before
    is stopped and lets go of its file, which stays as it was."""
    global _default
    with _lock:
        previous, _default = _default, None
        if previous is not None:
            previous.close()
        _default = _new_exchange(None)
        return _default


def connect(
    env: str | None = None,
    *,
    fresh: bool = False,
    api_key: str | None = None,
    api_secret: str | None = None,
    api_pass: str | None = None,
    **client_options: Any,
) -> BitgetClient:
    """A :class:`BitgetClient` for ``env`` (``"local"``, ``"demo"`` or ``"live"``).

    ``env`` defaults to ``$BITGET_NB_ENV``, else ``"local"``. Extra keyword arguments go to
    :class:`BitgetClient` (``timeout``, ``max_retries``, ``locale``…).

    ``fresh=True`` (``local`` only) starts the process's embedded exchange over on a new,
    funded paper account in memory, so a notebook finds the same state on every run; the
    exchange before it is stopped (its clients stop working; a file it kept is left as it
    was), and ``BITGET_NB_DATA`` and ``BITGET_NB_LOCAL_URL`` do not apply.

    >>> client = connect()           # the embedded paper exchange
    >>> client.env
    'local'
    >>> tutorial = connect("local", fresh=True)
    >>> tutorial.get_unfilled_orders().empty, default_exchange().path is None
    (True, True)
    """
    # masked at once: a verbose traceback of any error below prints this frame's locals
    api_secret = Secret(api_secret) if api_secret else api_secret
    api_pass = Secret(api_pass) if api_pass else api_pass
    chosen = environment(env)
    if fresh:
        if chosen.name != "local":
            raise ConfigurationError(
                f"fresh=True starts a new paper account on the local exchange; {chosen.name} "
                "is Bitget's own, whose account cannot be started over: use "
                "connect('local', fresh=True)"
            )
        exchange = _fresh_exchange()
        return BitgetClient(**exchange.credentials, base_url=exchange.base_url,
                            ws_url=exchange.ws_url, env="local", **client_options)  # fmt: skip
    shared_url = os.environ.get(LOCAL_URL_VAR, "").strip()
    if chosen.name == "local" and shared_url:
        if not is_loopback_url(shared_url):
            why = base_url_problem(shared_url) or "its host is not a loopback address"
            raise ConfigurationError(
                f"{LOCAL_URL_VAR}={shared_url!r} cannot be a local exchange: {why}; a local "
                "exchange runs on this machine (use connect('demo') or connect('live') for "
                "Bitget)"
            )
        creds = Credentials.resolve(
            api_key, api_secret, api_pass, required=True, purpose=f"{LOCAL_URL_VAR}"
        )
        assert creds is not None
        shared_ws = os.environ.get(LOCAL_WS_URL_VAR, "").strip() or None
        if shared_ws is not None and not is_loopback_url(shared_ws):
            raise ConfigurationError(
                f"{LOCAL_WS_URL_VAR}={shared_ws!r} cannot be a local exchange's WebSocket: "
                "its host is not a loopback address"
            )
        return BitgetClient(creds.api_key, creds.api_secret, creds.api_pass,
                            base_url=shared_url, ws_url=shared_ws, env="local",
                            **client_options)  # fmt: skip
    if chosen.name == "local":
        exchange = default_exchange()
        return BitgetClient(**exchange.credentials, base_url=exchange.base_url,
                            ws_url=exchange.ws_url, env="local", **client_options)  # fmt: skip
    credentials = Credentials.resolve(
        api_key, api_secret, api_pass, required=True, purpose=f"connect({chosen.name!r})"
    )
    assert credentials is not None and chosen.base_url is not None
    return BitgetClient(
        credentials.api_key,
        credentials.api_secret,
        credentials.api_pass,
        base_url=chosen.base_url,
        demo=chosen.demo,
        env=chosen.name,
        **client_options,
    )
