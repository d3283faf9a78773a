"""``connect()``: a client for the environment you name — the embedded exchange by default.

With nothing set, :func:`connect` starts one :class:`~bitget_nb.LocalExchange` per process on
127.0.0.1 and returns a client to it: no keys, no network. ``connect("demo")`` and
``connect("live")`` need keys (arguments or ``BITGET_API_*`` variables) and say which one is
missing; nothing ever defaults to live.

To share one exchange between processes (a standalone ``python -m bitget_nb exchange``, a
Voila page, a test), set ``BITGET_NB_LOCAL_URL`` to its base URL and the ``BITGET_API_*``
variables to its credentials: ``connect()`` then talks to it instead of starting its own.

Two variables make the embedded exchange repeatable, for tests and notebooks with stored
outputs: ``BITGET_NB_SEED`` (an integer) and ``BITGET_NB_START`` (an ISO time or ms epoch).
When ``BITGET_NB_START`` is set the exchange's clock is manual: it starts there and moves
only with ``exchange.advance(...)``. Unset, the market moves with the wall clock.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import TYPE_CHECKING, Any

from .client import BitgetClient
from .config import Credentials, environment
from .errors import ConfigurationError

if TYPE_CHECKING:
    from .exchange import LocalExchange

__all__ = ["connect", "default_exchange"]

SEED_VAR = "BITGET_NB_SEED"
LOCAL_URL_VAR = "BITGET_NB_LOCAL_URL"
START_VAR = "BITGET_NB_START"

_lock = threading.Lock()
_default: LocalExchange | None = None


def default_exchange() -> LocalExchange:
    """The process's embedded exchange, started on first use and stopped at exit."""
    global _default
    with _lock:
        if _default is None:
            from .exchange import LocalExchange  # lazy: keeps `import bitget_nb` light

            seed_text = os.environ.get(SEED_VAR, "").strip()
            try:
                seed = int(seed_text) if seed_text else 7
            except ValueError:
                raise ConfigurationError(
                    f"{SEED_VAR} must be an integer, got {seed_text!r}"
                ) from None
            start = os.environ.get(START_VAR, "").strip() or None
            exchange = LocalExchange(seed=seed, start_time=start)
            exchange.start()
            atexit.register(exchange.close)
            _default = exchange
        return _default


def connect(
    env: str | None = None,
    *,
    api_key: str | None = None,
    api_secret: str | None = None,
    api_pass: str | None = None,
    **client_options: Any,
) -> BitgetClient:
    """A :class:`BitgetClient` for ``env`` (``"local"``, ``"demo"`` or ``"live"``).

    ``env`` defaults to ``$BITGET_NB_ENV``, else ``"local"``. Extra keyword arguments go to
    :class:`BitgetClient` (``timeout``, ``max_retries``, ``locale``…).

    >>> client = connect()           # the embedded paper exchange
    >>> client.env
    'local'
    """
    chosen = environment(env)
    shared_url = os.environ.get(LOCAL_URL_VAR, "").strip()
    if chosen.name == "local" and shared_url:
        from .exchange.local import is_loopback

        host = shared_url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
        if not is_loopback(host.strip("[]")):
            raise ConfigurationError(
                f"{LOCAL_URL_VAR}={shared_url!r} is not a loopback address; a local exchange "
                "runs on this machine (use connect('demo') or connect('live') for Bitget)"
            )
        creds = Credentials.resolve(
            api_key, api_secret, api_pass, required=True, purpose=f"{LOCAL_URL_VAR}"
        )
        assert creds is not None
        return BitgetClient(creds.api_key, creds.api_secret, creds.api_pass,
                            base_url=shared_url, env="local", **client_options)  # fmt: skip
    if chosen.name == "local":
        exchange = default_exchange()
        return BitgetClient(
            **exchange.credentials, base_url=exchange.base_url, env="local", **client_options
        )
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
