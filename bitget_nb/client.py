"""``BitgetClient``: thin methods over the endpoint table.

Each public method is derived from one row of :data:`bitget_nb.endpoints.ENDPOINTS`: it takes
a mapping of wire fields, keyword arguments with the same names, or both, sends them through
the :class:`~bitget_nb.transport.Transport`, and turns ``data`` into the pandas object the
row's shape calls for. ``raw=True`` returns the decoded envelope instead.

>>> import bitget_nb as bg
>>> with bg.LocalExchange(seed=7, start_time="2026-01-05T00:00:00Z") as ex:
...     client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
...     tickers = client.get_tickers(category="SPOT")
...     client.close()
>>> tickers.dtypes["lastPrice"]
dtype('float64')
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pandas as pd

from . import frames
from .config import REST_HOST, Credentials
from .endpoints import ENDPOINTS, Endpoint, Shape

if TYPE_CHECKING:
    import requests

    from .transport import Transport

__all__ = ["BitgetClient"]

_TIME_FIELDS = frozenset({"startTime", "endTime"})


def _wire(name: str, value: Any) -> Any:
    """One request value in its wire form: times as ms, decimals exactly, enums as text."""
    if isinstance(value, pd.Timestamp | _dt.datetime):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is None:
            raise ValueError(f"{name}: give a timezone-aware time (e.g. UTC), got {value!r}")
        return str(stamp.value // 1_000_000)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and name in _TIME_FIELDS:
        return str(value)
    return value


def _params(
    endpoint: Endpoint, params: Any, fields: Mapping[str, Any]
) -> dict[str, Any] | list[Any] | None:
    if params is not None and hasattr(params, "to_payload"):
        params = params.to_payload()
    if params is not None and not isinstance(params, Mapping):
        raise TypeError(
            f"{endpoint.name} takes a mapping of wire fields or keyword arguments, "
            f"not {type(params).__name__}"
        )
    merged = {**(params or {}), **fields}
    out = {k: _wire(k, v) for k, v in merged.items() if v is not None}
    return out or None


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in {"localhost", "::1"} or host.startswith("127.")


class BitgetClient:
    """A signed client for Bitget's V3 UTA REST API that returns pandas objects.

    Credentials are optional for public market data. ``base_url`` is required, so nothing
    defaults to live: ``ex.base_url`` of a :class:`~bitget_nb.LocalExchange` to paper-trade,
    or :data:`bitget_nb.config.REST_HOST` for Bitget (``demo=True`` adds the ``paptrading: 1``
    header of Bitget's demo trading). :func:`bitget_nb.connect` picks these for you.
    ``session``, ``sleep`` and ``clock`` are injectable for tests.
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        api_pass: str | None = None,
        *,
        base_url: str,
        demo: bool = False,
        env: str | None = None,
        locale: str = "en-US",
        timeout: tuple[float, float] = (3.05, 10.0),
        max_retries: int = 3,
        rate_limit: bool = True,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        credentials = Credentials.resolve(
            api_key, api_secret, api_pass, environ={}, purpose="BitgetClient"
        )
        # The HTTP stack (requests, urllib3, tenacity) loads with the first client, not with
        # `import bitget_nb`: importing the package for its models or frames stays light.
        from .transport import Transport

        extra: dict[str, Any] = {}
        if sleep is not None:
            extra["sleep"] = sleep
        if clock is not None:
            extra["clock"] = clock
        self._transport = Transport(
            base_url,
            credentials,
            demo=demo,
            locale=locale,
            timeout=timeout,
            max_retries=max_retries,
            rate_limit=rate_limit,
            session=session,
            **extra,
        )
        self.env = env or (
            "demo"
            if demo
            else "live"
            if base_url.rstrip("/") == REST_HOST
            else "local"
            if _is_loopback(base_url)
            else "custom"
        )
        self._credentials = credentials

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def transport(self) -> Transport:
        return self._transport

    def __repr__(self) -> str:
        key = self._credentials.masked_key if self._credentials else None
        return f"BitgetClient(env={self.env!r}, base_url={self.base_url!r}, api_key={key!r})"

    def close(self) -> None:
        """Close the HTTP session (idempotent)."""
        self._transport.close()

    def __enter__(self) -> BitgetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self, endpoint: str | Endpoint, params: Any = None, /, *, raw: bool = False, **fields: Any
    ) -> Any:
        """Call any endpoint of the table by name, e.g. ``client.request("get_tickers",
        category="SPOT")``."""
        ep = ENDPOINTS[endpoint] if isinstance(endpoint, str) else endpoint
        envelope = self._transport.call(ep, _params(ep, params, fields))
        return envelope if raw else self._shape(ep, envelope)

    def _shape(self, ep: Endpoint, envelope: dict[str, Any]) -> Any:
        data = envelope.get("data")
        match ep.shape:
            case Shape.LIST:
                return frames.to_frame(data, ep.schema, envelope=envelope)
            case Shape.PAGE | Shape.ITEMS:
                records = (data or {}).get("list") if isinstance(data, Mapping) else data
                return frames.to_frame(records, ep.schema, envelope=envelope)
            case Shape.BATCH:
                items = data.get("list") if isinstance(data, Mapping) else data
                return frames.batch_frame(items, envelope=envelope)
            case Shape.OBJECT:
                return frames.to_series(data, ep.schema, envelope=envelope)
            case Shape.SERVER_TIME:
                return frames.to_series(data, "server_time", envelope=envelope)
            case Shape.CANDLES:
                return frames.candles_frame(data, envelope=envelope)
            case Shape.ORDERBOOK:
                return frames.orderbook_frame(data, envelope=envelope)
            case Shape.ASSETS:
                return frames.assets_frame(data, envelope=envelope)
            case Shape.STRING:
                return data
        raise AssertionError(f"unhandled shape {ep.shape}")  # pragma: no cover


_RETURNS = {
    Shape.LIST: "pandas.DataFrame",
    Shape.PAGE: "pandas.DataFrame",
    Shape.ITEMS: "pandas.DataFrame",
    Shape.BATCH: "pandas.DataFrame with orderId, clientOid, code, msg and a boolean ok",
    Shape.OBJECT: "pandas.Series",
    Shape.SERVER_TIME: "pandas.Series with serverTime",
    Shape.CANDLES: "pandas.DataFrame indexed by ts with float open/high/low/close/volume/turnover",
    Shape.ORDERBOOK: "pandas.DataFrame with side, level, price, size (asks then bids)",
    Shape.ASSETS: "pandas.DataFrame, one row per coin; account totals in .attrs['account']",
    Shape.STRING: "str",
}


def _endpoint_method(name: str) -> Callable[..., Any]:
    ep = ENDPOINTS[name]

    def method(self: BitgetClient, params: Any = None, /, *, raw: bool = False, **fields: Any):
        return self.request(ep, params, raw=raw, **fields)

    auth = "signed" if ep.private else "public"
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"{ep.summary}: ``{ep.method} {ep.path}`` ({auth}, {ep.rate_limit:g}/s per "
        f"{ep.scope}).\n\nTakes a mapping of wire fields and/or keyword arguments with the "
        f"same names. Returns a {_RETURNS[ep.shape]}; ``raw=True`` returns the envelope."
    )
    return method


#: The methods of this slice; later slices add the trading surface with its safety logic.
_DERIVED = (
    "get_server_time",
    "get_instruments",
    "get_tickers",
    "get_orderbook",
    "get_candles",
    "get_history_candles",
    "get_fills",
    "get_balances",
    "get_account_settings",
    "get_account_info",
)
for _name in _DERIVED:
    setattr(BitgetClient, _name, _endpoint_method(_name))
    for _alias in ENDPOINTS[_name].aliases:
        setattr(BitgetClient, _alias, getattr(BitgetClient, _name))
