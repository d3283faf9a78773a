"""Environments and credentials.

Three environments (design doc): ``local`` — the embedded paper exchange, the default;
``demo`` — Bitget's REST host with the ``paptrading: 1`` header and a demo key; ``live`` —
only when asked for by name. Credentials come from arguments or from ``BITGET_API_KEY``,
``BITGET_API_SECRET`` and ``BITGET_API_PASS``; their repr never shows the secret or the
passphrase.

>>> Credentials("bg_0123456789abcdef", "s3cret", "pass")
Credentials(api_key='bg_0…cdef', api_secret=<hidden>, api_pass=<hidden>)
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import ConfigurationError

__all__ = [
    "DEFAULT_POOL_SIZE",
    "DEMO",
    "ENVIRONMENTS",
    "ENV_VARS",
    "LIVE",
    "LOCAL",
    "REST_HOST",
    "WS_HOSTS",
    "Credentials",
    "Environment",
    "Secret",
    "environment",
]

#: Bitget's REST host, for demo and live alike (spec §1.1, §1.8).
REST_HOST = "https://api.bitget.com"

#: Bitget's V3 WebSocket hosts (WS spec §1.1): live, and demo trading (the host, not a
#: header, selects demo on the WebSocket). Public market data and private topics have a
#: path each.
WS_HOSTS = {
    "live": ("wss://ws.bitget.com/v3/ws/public", "wss://ws.bitget.com/v3/ws/private"),
    "demo": ("wss://wspap.bitget.com/v3/ws/public", "wss://wspap.bitget.com/v3/ws/private"),
}

#: The variables credentials are read from (the names the Node SDK's docs use).
ENV_VARS = {
    "api_key": "BITGET_API_KEY",
    "api_secret": "BITGET_API_SECRET",
    "api_pass": "BITGET_API_PASS",
}

#: Connections a client keeps alive per host: threads sharing one client each use one; more
#: threads than this still work, but open and close a connection for each call beyond it.
DEFAULT_POOL_SIZE = 32

#: Which environment :func:`bitget_nb.connect` uses when none is named.
ENV_SELECTOR = "BITGET_NB_ENV"


@dataclass(frozen=True, slots=True)
class Environment:
    """Where requests go. ``base_url`` is ``None`` for ``local`` (the exchange picks a port)."""

    name: str
    base_url: str | None
    demo: bool = False

    @property
    def live(self) -> bool:
        return self.name == "live"


LOCAL = Environment("local", None)
DEMO = Environment("demo", REST_HOST, demo=True)
LIVE = Environment("live", REST_HOST)
ENVIRONMENTS: Mapping[str, Environment] = {e.name: e for e in (LOCAL, DEMO, LIVE)}


def environment(name: str | None = None, environ: Mapping[str, str] | None = None) -> Environment:
    """The environment named, else ``$BITGET_NB_ENV``, else ``local`` — never ``live`` unasked.

    >>> environment("DEMO").name
    'demo'
    """
    environ = os.environ if environ is None else environ
    chosen = (name or environ.get(ENV_SELECTOR) or "local").strip().lower()
    try:
        return ENVIRONMENTS[chosen]
    except KeyError:
        raise ConfigurationError(
            f"unknown environment {chosen!r}; choose one of {', '.join(ENVIRONMENTS)}"
        ) from None


class Secret(str):
    """A string whose repr never shows it: an API secret, a passphrase, a signature.

    It is still the string itself wherever it is used (signing, a header on the wire), but
    every place that prints objects by their repr — dicts of headers, a verbose traceback's
    frame locals (IPython ``%xmode Verbose``, pytest ``--showlocals``, error reporters) — shows
    ``<hidden>``.

    >>> {"ACCESS-PASSPHRASE": Secret("pass")}
    {'ACCESS-PASSPHRASE': <hidden>}
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<hidden>"


def _mask(value: str) -> str:
    return value[:4] + "…" + value[-4:] if len(value) > 12 else "…"


@dataclass(frozen=True, slots=True)
class Credentials:
    """An API key with its secret and passphrase. Only the key shows in the repr, masked."""

    api_key: str
    api_secret: str = field(repr=False)
    api_pass: str = field(repr=False)

    def __post_init__(self) -> None:
        # held as Secret, so that no repr of anything holding them shows them
        object.__setattr__(self, "api_secret", Secret(self.api_secret))
        object.__setattr__(self, "api_pass", Secret(self.api_pass))

    def __repr__(self) -> str:
        return (
            f"Credentials(api_key={_mask(self.api_key)!r}, api_secret=<hidden>, api_pass=<hidden>)"
        )

    __str__ = __repr__

    @property
    def masked_key(self) -> str:
        return _mask(self.api_key)

    @property
    def key_id(self) -> str:
        """A short, stable id of the API key — 12 hex digits of its SHA-256 — to name files
        by account key without writing the key itself anywhere."""
        return hashlib.sha256(self.api_key.encode("utf-8")).hexdigest()[:12]

    @classmethod
    def resolve(
        cls,
        api_key: str | None = None,
        api_secret: str | None = None,
        api_pass: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        required: bool = False,
        purpose: str = "this call",
    ) -> Credentials | None:
        """Credentials from arguments, each missing one from its environment variable.

        Returns ``None`` when nothing is set and ``required`` is false; raises
        :class:`ConfigurationError` naming every missing variable when only some are set, or
        when ``required`` and any is missing.
        """
        # os.environ is never held in a local here: its repr would show every variable in a
        # verbose traceback of the ConfigurationError below
        given = {"api_key": api_key, "api_secret": _secret(api_secret),
                 "api_pass": _secret(api_pass)}  # fmt: skip
        api_secret = api_pass = None  # only masked copies stay in this frame's locals
        values = {k: v if v else _env(environ, k) for k, v in given.items()}
        missing = [ENV_VARS[k] for k, v in values.items() if not v]
        if not missing:
            return cls(**values)
        if len(missing) == len(values) and not required:
            return None
        args = ", ".join(f"{k}=..." for k, v in values.items() if not v)
        raise ConfigurationError(
            f"{purpose} needs API credentials: {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set "
            f"(set {'it' if len(missing) == 1 else 'them'} in the environment or pass {args})"
        )


def _secret(value: str | None) -> Secret | None:
    return Secret(value) if value else None


def _env(environ: Mapping[str, str] | None, name: str) -> str:
    value = (os.environ if environ is None else environ).get(ENV_VARS[name], "")
    return Secret(value) if value and name != "api_key" else value
