"""``BitgetClient``: thin methods over the endpoint table.

Each public endpoint method is derived from one row of :data:`bitget_nb.endpoints.ENDPOINTS`
(``_api.py`` lists them, ``_signatures.py`` makes them): its signature names the row's wire
fields, and it takes them as keyword arguments, as a mapping, or both — a request model too,
for the order endpoints. The call comes here, to :meth:`BitgetClient._call`: the fields are
checked against the row (unknown names, required ones, times as ms, exact decimals), sent
through the :class:`~bitget_nb.transport.Transport` — or through the safe writes of
:mod:`bitget_nb.safety` — and ``data`` becomes the pandas object the row's shape calls for.
``raw=True`` returns the decoded envelope instead.

>>> import bitget_nb as bg
>>> with bg.LocalExchange(seed=7, start_time="2026-01-05T00:00:00Z") as ex:
...     client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
...     tickers = client.get_tickers(category="SPOT")
...     client.close()
>>> tickers.dtypes["lastPrice"]
dtype('float64')
"""

from __future__ import annotations

import itertools
import math
import weakref
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import candles, frames, intervals, paging
from ._api import EndpointMethods
from ._net import base_url_problem, is_loopback_url
from ._signatures import check_fields, refusals_raised_here
from .config import DEFAULT_POOL_SIZE, REST_HOST, WS_HOSTS, Credentials
from .endpoints import ENDPOINTS, Endpoint, Kind, Param, Shape
from .errors import BitgetError, ConfigurationError, OutcomeUnknownError, ValidationError
from .models import (
    PlaceOrderRequestV3,
    StrategyOrderRequestV3,
    decimal_text,
    seed_value,
    time_ms,
)
from .rules import InstrumentRules, check_pos_side
from .vocab import CATEGORIES, FUTURES_CATEGORIES, HOLD_MODES

#: The ``code`` of a batch row that was never sent (an earlier chunk's outcome was unknown).
NOT_SENT = "NOT_SENT"
#: Seconds a write whose answer was lost is looked up before its outcome is called unknown.
DEFAULT_SETTLE_WINDOW = 30.0

if TYPE_CHECKING:
    import requests

    from .stream import Stream
    from .transport import Transport

__all__ = ["BitgetClient"]


def _wire_value(param: Param | None, value: Any) -> Any:
    """One request value in its wire form, by its parameter's kind: times as ms, amounts as
    exact decimal strings, whole numbers as their digits, yes/no from a bool."""
    kind = param.kind if param is not None else Kind.TEXT
    name = param.name if param is not None else ""
    if kind is Kind.TIME:
        return str(time_ms(value, name))
    if kind is Kind.DECIMAL:
        return decimal_text(value, name)
    if kind is Kind.INT and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")
    if kind is Kind.ENUM:
        return seed_value(name, value)
    return value


def _payload(
    endpoint: Endpoint, params: Any, fields: Mapping[str, Any], *, check: bool = True
) -> dict[str, Any]:
    """The wire fields of one call: ``params`` (a mapping or a request model) and the keyword
    ``fields``, which win; each key a field of the row (the seed documentation's names
    translated), each value in its wire form, and — with ``check`` — every required field
    and one of each ``one_of`` group present."""
    if params is not None and hasattr(params, "to_payload"):
        params = params.to_payload()
    if params is not None and not isinstance(params, Mapping):
        raise TypeError(
            f"{endpoint.name} takes a mapping of wire fields or keyword arguments, "
            f"not {type(params).__name__}"
        )
    declared = endpoint.params
    given = dict(params or {})
    if declared is not None and given:
        given = check_fields(endpoint.name, declared, given)
    merged = {**given, **fields}
    by_name = {p.name: p for p in declared or ()}
    out = {k: _wire_value(by_name.get(k), v) for k, v in merged.items() if v is not None}
    if check and declared is not None:
        _check_present(endpoint, out)
    return out


def _check_present(endpoint: Endpoint, payload: Mapping[str, Any]) -> None:
    for param in endpoint.params or ():
        if param.required and payload.get(param.name) in (None, ""):
            choices = f" (one of {', '.join(param.choices)})" if param.choices else ""
            raise ValidationError(
                f"{param.name}: required by {endpoint.name}{choices}", field=param.name
            )
    if endpoint.one_of and not any(payload.get(name) for name in endpoint.one_of):
        raise ValidationError(
            f"{endpoint.name}: give {' or '.join(endpoint.one_of)}", field=endpoint.one_of[0]
        )


class BitgetClient(EndpointMethods):
    """A signed client for Bitget's V3 UTA REST API that returns pandas objects.

    Credentials are optional for public market data. ``base_url`` is required, so nothing
    defaults to live: ``ex.base_url`` of a :class:`~bitget_nb.LocalExchange` to paper-trade,
    or :data:`bitget_nb.config.REST_HOST` for Bitget (``demo=True`` adds the ``paptrading: 1``
    header of Bitget's demo trading). :func:`bitget_nb.connect` picks these for you.
    ``session``, ``sleep`` and ``clock`` are injectable for tests.

    Every endpoint method names its wire fields in its signature (``help(client.get_candles)``
    lists them with their allowed values and limits); an unknown keyword raises
    :class:`~bitget_nb.errors.UnknownFieldError` naming the valid ones. Times (``startTime``,
    ``endTime``) may be ms, ISO strings (UTC unless they name a zone) or timezone-aware
    datetimes.

    When the answer to a write is lost (a timeout, a dropped or cut answer, HTTP 5xx, an
    "outcome unknown" code), the write is never sent again: the client looks it up for up to
    ``settle_window`` seconds (default 30) and then raises
    :class:`~bitget_nb.OutcomeUnknownError` naming every ``clientOid`` it could not settle
    (see :mod:`bitget_nb.safety` and ``docs/reliability.md``). ``pool_size`` (default 32) is
    how many kept-alive connections threads sharing this client may use at once.

    :meth:`stream` opens Bitget's V3 WebSocket as live pandas views (:mod:`bitget_nb.stream`).
    ``ws_url`` names the WebSocket to use — for a local exchange ``ex.ws_url``; without it a
    client of Bitget uses Bitget's hosts (the demo ones with ``demo=True``), and a client of
    a :class:`~bitget_nb.LocalExchange` running in this process finds its ``ws_url`` by the
    base URL (:func:`bitget_nb.connect` passes it).
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
        settle_window: float = DEFAULT_SETTLE_WINDOW,
        pool_size: int = DEFAULT_POOL_SIZE,
        ws_url: str | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        try:
            credentials = Credentials.resolve(
                api_key, api_secret, api_pass, environ={}, purpose="BitgetClient"
            )
        finally:
            # from here on only the masked Credentials hold them: a verbose traceback of any
            # error below (or in resolve) prints this frame's locals
            api_secret = api_pass = None
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
            pool_size=pool_size,
            **extra,
        )
        from .safety import OrderWriter

        writer_options: dict[str, Any] = {"sleep": sleep} if sleep else {}
        self._writer = OrderWriter(self._transport, settle_window=settle_window, **writer_options)
        self._instruments: dict[tuple[str, str], dict[str, Any]] = {}
        #: Categories whose whole instrument list was loaded: a symbol missing there is unknown.
        self._listed: set[str] = set()
        self._hold_mode: str | None = None
        self.env = env or (
            "demo"
            if demo
            else "live"
            if base_url.rstrip("/") == REST_HOST
            else "local"
            if is_loopback_url(base_url)
            else "custom"
        )
        self._credentials = credentials
        if ws_url is not None and (problem := base_url_problem(ws_url)):
            raise ConfigurationError(f"ws_url {ws_url!r} cannot be used: {problem}")
        self._ws_url = ws_url
        #: the streams this client made, by the order they were opened in
        self._streams: weakref.WeakValueDictionary[int, Stream] = weakref.WeakValueDictionary()
        self._stream_serial = itertools.count()

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def transport(self) -> Transport:
        return self._transport

    @property
    def key_id(self) -> str | None:
        """12 hex digits of the API key's SHA-256 (``None`` without keys): names a file per
        account key — a journal's — without the key in it."""
        return self._credentials.key_id if self._credentials is not None else None

    def __repr__(self) -> str:
        # getattr: a verbose traceback of an error inside __init__ shows this repr too
        creds = getattr(self, "_credentials", None)
        key = creds.masked_key if creds else None
        transport = getattr(self, "_transport", None)
        url = transport.base_url if transport is not None else None
        return (
            f"BitgetClient(env={getattr(self, 'env', None)!r}, base_url={url!r}, api_key={key!r})"
        )

    @property
    def ws_urls(self) -> tuple[str, str]:
        """The WebSocket URLs (public, private) :meth:`stream` connects to:
        ``ws_url`` for both when given (the local exchange serves both on one URL); else the
        ``ws_url`` of the :class:`~bitget_nb.LocalExchange` of this process serving
        ``base_url``; else Bitget's demo hosts (``demo=True``) or live hosts (``base_url``
        is Bitget's REST host)."""
        if self._ws_url is not None:
            return self._ws_url, self._ws_url
        if is_loopback_url(self.base_url):
            from .exchange.local import ws_url_for

            found = ws_url_for(self.base_url)
            if found is None:
                raise ConfigurationError(
                    f"no local exchange of this process serves {self.base_url}, so its "
                    "WebSocket is unknown: pass ws_url=ex.ws_url to BitgetClient"
                )
            return found, found
        if self._transport.demo:
            return WS_HOSTS["demo"]
        if self.base_url.rstrip("/") == REST_HOST:
            return WS_HOSTS["live"]
        raise ConfigurationError(
            f"the WebSocket of {self.base_url} is unknown: pass ws_url=... to BitgetClient"
        )

    def stream(self, **options: Any) -> Stream:
        """A :class:`~bitget_nb.stream.Stream` of this client's WebSocket: live tickers,
        order books, orders, positions and fills as pandas views, callbacks on every push.
        Closed with the client; ``options`` go to :class:`~bitget_nb.stream.Stream`.

        >>> import bitget_nb as bg
        >>> with bg.LocalExchange(seed=7, start_time="2026-01-05T00:00:00Z") as ex:
        ...     with bg.BitgetClient(**ex.credentials, base_url=ex.base_url) as client:
        ...         stream = client.stream()
        ...         stream.subscribe("books", category="SPOT", symbol="BTCUSDT")
        ...         ok = stream.wait_until(lambda s: not s.book("BTCUSDT").empty)
        ...     ok, stream.closed
        (True, True)
        """
        from .stream import Stream

        stream = Stream(self, **options)
        self._streams[next(self._stream_serial)] = stream
        return stream

    def _open_stream(self) -> Stream | None:
        """The newest stream of this client that is still open (for widgets that follow one
        when there is one), else ``None``."""
        opened = list(self._streams.values())  # in the order they were opened
        return next((s for s in reversed(opened) if not s.closed), None)

    def close(self) -> None:
        """Close the streams and the HTTP session (idempotent)."""
        for stream in list(getattr(self, "_streams", {}).values()):
            stream.close()
        self._transport.close()

    def __enter__(self) -> BitgetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @refusals_raised_here
    def request(
        self, endpoint: str | Endpoint, params: Any = None, /, *, raw: bool = False, **fields: Any
    ) -> Any:
        """Call any endpoint of the table by name, e.g. ``client.request("get_tickers",
        category="SPOT")``, with its fields checked as its method checks them — but without
        what the method adds (the safe writes' look-ups, paging). An :class:`Endpoint` of your
        own with ``params=None`` is sent unchecked."""
        ep = ENDPOINTS[endpoint] if isinstance(endpoint, str) else endpoint
        if ep.params is not None:
            # stacklevel 3: this line, refusals_raised_here's, the caller's
            fields = check_fields(ep.name, ep.params, fields, also=("raw",), stacklevel=3)
        return self._read(ep, params, fields, raw=raw)

    def _call(self, name: str, first: Any, fields: dict[str, Any], **options: Any) -> Any:
        """Where every endpoint method lands: ``first`` is its positional argument (a mapping,
        a request model or a batch), ``fields`` the keywords given (checked against the row
        already), ``options`` ``raw`` and the like."""
        handler = _HANDLERS.get(name)
        if handler is not None:
            return handler(self, first, fields, **options)
        ep = ENDPOINTS[name]
        if ep.shape is Shape.PAGE:
            return self._paged(ep, first, fields, **options)
        if ep.shape is Shape.NUMBERED_PAGES:
            return self._numbered_pages(ep, first, fields, **options)
        return self._read(ep, first, fields, **options)

    def _read(self, ep: Endpoint, params: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        envelope = self._transport.call(ep, _payload(ep, params, fields) or None)
        return envelope if raw else self._shape(ep, envelope)

    def _shape(self, ep: Endpoint, envelope: dict[str, Any]) -> Any:
        data = envelope.get("data")
        if ep.shape is Shape.STRING:
            return data
        # attrs keep the envelope's metadata, never its data: raw=True is there for that
        meta = frames.envelope_meta(envelope, endpoint=ep.name, path=ep.path, pages=1)
        match ep.shape:
            case Shape.LIST:
                return frames.to_frame(data, ep.schema, envelope=meta)
            case Shape.PAGE | Shape.ITEMS:
                if ep.shape is Shape.PAGE:
                    meta["cursor"] = paging.next_cursor(data, ep.cursor_key) or None
                # null, [] and a missing list all give the schema's empty frame (spec §10.2)
                return frames.to_frame(paging.page_rows(data), ep.schema, envelope=meta)
            case Shape.NUMBERED_PAGES:
                return frames.to_frame(paging.result_rows(data), ep.schema, envelope=meta)
            case Shape.BATCH:
                return frames.batch_frame(paging.page_rows(data), envelope=meta)
            case Shape.OBJECT:
                return frames.to_series(data, ep.schema, envelope=meta)
            case Shape.SERVER_TIME:
                return frames.to_series(data, "server_time", envelope=meta)
            case Shape.CANDLES:
                return frames.candles_frame(data, envelope=meta)
            case Shape.ORDERBOOK:
                return frames.orderbook_frame(data, envelope=meta)
            case Shape.ASSETS:
                return frames.assets_frame(data, envelope=meta)
        raise AssertionError(f"unhandled shape {ep.shape}")  # pragma: no cover

    # -- instruments ----------------------------------------------------------------------------
    def _get_instruments(self, params: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        ep = ENDPOINTS["get_instruments"]
        query = _payload(ep, params, fields)
        envelope = self._transport.call(ep, query)
        for row in envelope.get("data") or []:
            key = (str(row.get("category", "")).upper(), str(row.get("symbol", "")).upper())
            self._instruments[key] = row
        if isinstance(query, Mapping) and query.get("category") and not query.get("symbol"):
            self._listed.add(str(query["category"]).upper())
        return envelope if raw else self._shape(ep, envelope)

    @refusals_raised_here
    def instrument_rules(self, category: str, symbol: str) -> InstrumentRules:
        """The tick / step / minimum rules of one instrument (fetched once, then cached)."""
        key = (category.upper(), symbol.upper())
        if key not in self._instruments:
            self.get_instruments(category=key[0], symbol=key[1], raw=True)
        if key not in self._instruments:
            raise ValidationError(
                f"symbol: {symbol} is not an instrument of {category}", field="symbol"
            )
        return InstrumentRules.from_record(self._instruments[key])

    def _round_order(
        self,
        request: Any,
        fields: Mapping[str, Any],
        *,
        price_rounding: str = "nearest",
        qty_rounding: str = "down",
    ) -> PlaceOrderRequestV3:
        req = _order(request, fields)
        rules = self.instrument_rules(req.category, req.symbol)
        changes: dict[str, Any] = {
            "qty": rules.round_qty(
                req.qty,
                qty_rounding,  # type: ignore[arg-type]
                quote=rules.quote_sized(side=req.side, orderType=req.orderType),
            )
        }
        if req.price is not None:
            changes["price"] = rules.round_price(req.price, price_rounding)  # type: ignore[arg-type]
        return req.replace(**changes)

    def _known_rules(self, category: str, symbol: str) -> InstrumentRules | None:
        """The rules of an instrument the client has loaded; ``None`` when it has not (no
        request is made); :class:`ValidationError` when its category's whole list is loaded
        and the symbol is not in it."""
        row = self._instruments.get((category, symbol))
        if row is not None:
            return InstrumentRules.from_record(row)
        if category in self._listed:
            known = sorted(s for c, s in self._instruments if c == category)
            raise ValidationError(
                f"symbol: {symbol} is not an instrument of {category} "
                f"(its instruments: {', '.join(known)})",
                field="symbol",
            )
        return None

    def _checked(self, req: PlaceOrderRequestV3) -> PlaceOrderRequestV3:
        if req.category in FUTURES_CATEGORIES:
            check_pos_side(req, self.hold_mode())
        rules = self._known_rules(req.category, req.symbol)
        if rules is not None:
            rules.check(side=req.side, orderType=req.orderType, qty=req.qty, price=req.price)
            _check_ticks(rules, req)
        return req

    # -- trading --------------------------------------------------------------------------------
    def _submit_new_order(self, request: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        req = self._checked(_order(request, fields))
        envelope = self._writer.place(req.to_payload())
        return envelope if raw else _ack_series(envelope, "submit_new_order")

    def _place_batch_orders(self, orders: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        requests_ = [self._checked(_order(o, {})) for o in orders]
        for req in requests_:
            _batchable(req)
        results = [_unsent({"clientOid": r.clientOid}) for r in requests_]
        for indexes in _chunks(requests_, 20):
            try:
                items = self._writer.place_batch([requests_[i].to_payload() for i in indexes])
            except OutcomeUnknownError as exc:
                raise _chunk_unknown(exc, indexes, results) from None
            for index, item in zip(indexes, items, strict=True):
                results[index] = item
        return results if raw else _batch_result(results, "place_batch_orders")

    def _modify_order(self, params: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        payload = _id_payload("modify_order", params, fields)
        if payload.get("qty") is None and payload.get("price") is None:
            raise ValidationError("modify_order: give a new price and/or qty", field="price")
        envelope = self._writer.modify(payload)
        return envelope if raw else _ack_series(envelope, "modify_order")

    def _batch_modify_orders(
        self, modifications: Any, fields: Mapping[str, Any], *, raw: bool
    ) -> Any:
        payloads = [_id_payload("batch_modify_orders", m, {}) for m in modifications]
        results = self._batched("batch_modify_orders", payloads, "modify")
        return results if raw else _batch_result(results, "batch_modify_orders")

    def _cancel_order(self, params: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        envelope = self._writer.cancel(_id_payload("cancel_order", params, fields))
        return envelope if raw else _ack_series(envelope, "cancel_order")

    def _cancel_batch_orders(self, cancels: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        payloads = [_id_payload("cancel_batch_orders", c, {}) for c in cancels]
        results = self._batched("cancel_batch_orders", payloads, "cancel")
        return results if raw else _batch_result(results, "cancel_batch_orders")

    def _cancel_all_orders(self, params: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        ep = ENDPOINTS["cancel_all_orders"]
        payload = _payload(ep, params, fields)
        envelope = self._writer.cancel_all(payload)
        return envelope if raw else _reconciled(self._shape(ep, envelope), envelope)

    def _batched(
        self, name: str, payloads: list[dict[str, Any]], kind: str
    ) -> list[dict[str, Any]]:
        """Per-item results in input order, sent in chunks of ≤ 20 items of one category
        (the API refuses a batch that mixes categories, spec §4.1.4, §4.1.6). A chunk whose
        outcome stays unknown raises :class:`OutcomeUnknownError` with every row so far."""
        results = [_unsent(payload) for payload in payloads]
        by_category: dict[Any, list[int]] = {}
        for index, payload in enumerate(payloads):
            by_category.setdefault(payload.get("category"), []).append(index)
        for indexes in by_category.values():
            for start in range(0, len(indexes), 20):
                chunk = indexes[start : start + 20]
                try:
                    items = self._writer.per_item(name, [payloads[i] for i in chunk], kind)
                except OutcomeUnknownError as exc:
                    raise _chunk_unknown(exc, chunk, results) from None
                for index, item in zip(chunk, items, strict=False):
                    results[index] = item
        return results

    # -- futures: account mode, positions, TP/SL, the dead man's switch --------------------------
    @refusals_raised_here
    def hold_mode(self, *, refresh: bool = False) -> str:
        """The account's hold mode, ``one_way_mode`` or ``hedge_mode``.

        Read from ``get_account_settings`` once and cached (``refresh=True`` reads again;
        :meth:`set_hold_mode` updates it). Futures orders are checked against it before
        sending: hedge mode needs ``posSide``, one-way mode takes none.
        """
        if self._hold_mode is None or refresh:
            settings = self._transport.call(ENDPOINTS["get_account_settings"], None)["data"]
            self._hold_mode = str((settings or {}).get("holdMode") or "one_way_mode")
        return self._hold_mode

    def _set_hold_mode(self, params: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        payload = _payload(ENDPOINTS["set_hold_mode"], params, fields, check=False)
        mode = str(payload.get("holdMode", "")).lower()
        if mode not in HOLD_MODES:
            raise ValidationError(
                f"holdMode: {payload.get('holdMode')!r} is not one of {', '.join(HOLD_MODES)}",
                field="holdMode",
            )
        envelope = self._writer.idempotent("set_hold_mode", {**payload, "holdMode": mode})
        self._hold_mode = mode
        return envelope if raw else envelope.get("data")

    def _set_leverage(self, params: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        payload = _payload(ENDPOINTS["set_leverage"], params, fields, check=False)
        for name in ("category", "leverage"):
            if payload.get(name) is None and not (
                name == "leverage" and (payload.get("longLeverage") or payload.get("shortLeverage"))
            ):
                raise ValidationError(f"{name}: required", field=name)
        payload["category"] = str(payload["category"]).upper()
        envelope = self._writer.idempotent("set_leverage", payload)
        return envelope if raw else envelope.get("data")

    def _close_all_positions(self, params: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        ep = ENDPOINTS["close_all_positions"]
        payload = _payload(ep, params, fields, check=False)
        if str(payload.get("category", "")).upper() not in FUTURES_CATEGORIES:
            raise ValidationError(
                f"category: one of {', '.join(FUTURES_CATEGORIES)} is required", field="category"
            )
        payload["category"] = str(payload["category"]).upper()
        envelope = self._writer.close_all(payload)
        return envelope if raw else _reconciled(self._shape(ep, envelope), envelope)

    def _countdown_cancel_all(self, params: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        payload = _payload(ENDPOINTS["countdown_cancel_all"], params, fields, check=False)
        payload["countdown"] = _countdown(payload.get("countdown"))
        envelope = self._writer.idempotent("countdown_cancel_all", payload)
        return envelope if raw else envelope.get("data")

    def dead_mans_switch(self, countdown: int = 10, *, interval: float | None = None) -> Any:
        """A heartbeat for :meth:`countdown_cancel_all`: a context manager (or an object with
        ``start()`` / ``stop()``) that arms the countdown, re-arms it from a background
        thread well inside the countdown (every ``interval`` s, default a third of it, never
        faster than the 1/s limit), and disarms on exit — also when the block raises. If
        re-arming keeps failing it warns loudly (``DeadMansSwitchWarning``)::

            with client.dead_mans_switch(countdown=10):
                ...  # if this kernel dies, the exchange cancels every open order in 10 s
        """
        from .heartbeat import DeadMansSwitch

        return DeadMansSwitch(self, countdown=countdown, interval=interval)

    def _submit_strategy_order(self, request: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        if isinstance(request, StrategyOrderRequestV3):
            req = request.replace(**fields) if fields else request
        else:
            req = StrategyOrderRequestV3.from_mapping({**(request or {}), **fields})
        rules = self._known_rules(req.category, req.symbol)
        if rules is not None:
            _check_ticks(rules, req)
            if req.tpslMode == "partial":
                rules.check(side="buy", orderType="limit", qty=req.qty)
        envelope = self._writer.place_strategy(req.to_payload())
        return envelope if raw else _ack_series(envelope, "submit_strategy_order")

    def _modify_strategy_order(self, params: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        payload = _id_payload("modify_strategy_order", params, fields)
        envelope = self._writer.modify_strategy(payload, self._strategy_category(payload))
        return envelope if raw else _ack_series(envelope, "modify_strategy_order")

    def _cancel_strategy_order(self, params: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        payload = _id_payload("cancel_strategy_order", params, fields)
        envelope = self._writer.cancel_strategy(payload, self._strategy_category(payload))
        data = envelope.get("data") or _ids_of(payload)
        return envelope if raw else _ack_series({**envelope, "data": data}, "cancel_strategy_order")

    def _strategy_category(self, payload: Mapping[str, Any]) -> str:
        """Which futures line a strategy order lives in, for looking it up after a lost
        answer: the one that lists it now (one read per line, only on that path)."""
        for category in FUTURES_CATEGORIES:
            try:
                found = self._writer.lookup_strategy(
                    category=category,
                    order_id=payload.get("orderId"),
                    client_oid=payload.get("clientOid"),
                )
            except BitgetError:
                continue
            if found is not None:
                return category
        return FUTURES_CATEGORIES[0]

    def _copy_futures_transfer(self, params: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        ep = ENDPOINTS["copy_futures_transfer"]
        payload = _payload(ep, params, fields, check=False)
        kind = str(payload.get("type", "")).lower()
        if kind not in ("in", "out"):
            raise ValidationError("type: 'in' or 'out'", field="type")
        _check_present(ep, payload)
        payload.update(type=kind, coin=str(payload["coin"]).upper())
        envelope = self._writer.once(
            "copy_futures_transfer", payload, check="get_copy_futures_transfer_records()"
        )
        return envelope if raw else self._shape(ep, envelope)

    # -- candles ----------------------------------------------------------------------------------
    def _get_candles(self, params: Any, fields: Mapping[str, Any], **options: Any) -> Any:
        return self._candles(ENDPOINTS["get_candles"], params, fields, **options)

    def _get_history_candles(self, params: Any, fields: Mapping[str, Any], **options: Any) -> Any:
        return self._candles(ENDPOINTS["get_history_candles"], params, fields, **options)

    def _candles(
        self,
        ep: Endpoint,
        params: Any,
        fields: Mapping[str, Any],
        *,
        raw: bool,
        progress: bool | None = None,
    ) -> Any:
        """One page without ``startTime``; with it, the whole range (:mod:`bitget_nb.candles`
        decides which endpoint serves which part)."""
        query = _payload(ep, params, fields)
        if raw or "startTime" not in query:
            envelope = self._transport.call(ep, query)
            return envelope if raw else self._shape(ep, envelope)
        name = str(query["interval"])
        iv = intervals.interval(name)
        # reaches count back from the exchange's now, which a local exchange's clock sets
        now = int(self._transport.call(ENDPOINTS["get_server_time"])["data"]["serverTime"])
        start = int(query["startTime"])
        end = int(query.get("endTime", now))
        legs = candles.plan(name, start, end, now_ms=now, page=_int_or_none(query.get("limit")))
        repeated = {k: v for k, v in query.items() if k not in ("startTime", "endTime", "limit")}
        bar = _progress(progress, ep.name)
        if bar is not None:
            bar.total = candles.pages_needed(legs, iv)
        first: list[Mapping[str, Any]] = []

        def fetch(endpoint: str, wire: dict[str, Any]) -> Mapping[str, Any]:
            envelope = self._transport.call(ENDPOINTS[endpoint], wire)
            if not first:
                first.append(envelope)
            return envelope

        try:
            rows, requests = candles.download(
                fetch, legs, repeated, iv=iv, on_page=bar.update if bar is not None else None
            )
        finally:
            if bar is not None:
                bar.close()
        df = frames.candles_frame(rows)
        found = candles.missing(rows[:, 0], iv)
        df.attrs["envelope"] = frames.envelope_meta(
            first[0] if first else None,
            endpoint=ep.name,
            path=ep.path,
            pages=requests,
            endpoints=[leg.endpoint for leg in legs],
        )
        df.attrs.update(
            interval=name,
            server_time=now,
            range=[paging.iso_ms(start), paging.iso_ms(min(end, now))],
            gaps=found,
        )
        candles.warn_gaps(found, f"{query['symbol']} {name}")
        return df

    # -- paged reads ------------------------------------------------------------------------------
    def _paged(
        self,
        ep: Endpoint,
        params: Any,
        fields: Mapping[str, Any],
        *,
        raw: bool,
        progress: bool | None = None,
        max_rows: int | None = None,
    ) -> Any:
        name = ep.name
        query = _payload(ep, params, fields)
        if raw:
            return self._transport.call(ep, query)
        windows: list[tuple[int | None, int | None]] = [(None, None)]
        if ep.windowed and ("startTime" in query or "endTime" in query):
            now = int(self._now_ms())
            since = int(query.get("startTime", now - paging.WINDOW_MS))
            until = int(query.get("endTime", now))
            windows = list(paging.time_windows(since, until, now_ms=now))
        # each page is converted as it arrives, while the limiter holds the next request back
        collected = frames.PagedFrame(ep.schema, max_rows=max_rows)
        first: Mapping[str, Any] | None = None
        pages = 0
        cursor: str | None = None
        bar = _progress(progress, name)
        try:
            for start, end in windows:
                window = dict(query)
                if start is not None:
                    window["startTime"], window["endTime"] = str(start), str(end)
                remaining = None if max_rows is None else max_rows - collected.rows
                for envelope in paging.follow_cursor(
                    lambda q: self._transport.call(ep, q),
                    window,
                    max_rows=remaining,
                    cursor_key=ep.cursor_key,
                ):
                    pages += 1
                    first = envelope if first is None else first
                    data = envelope.get("data")
                    cursor = paging.next_cursor(data, ep.cursor_key) or None
                    collected.add(paging.page_rows(data))
                    if bar is not None:
                        bar.update(1)
                if max_rows is not None and collected.rows >= max_rows:
                    break
        finally:
            if bar is not None:
                bar.close()
        df = collected.frame()
        df.attrs["envelope"] = frames.envelope_meta(
            first, endpoint=name, path=ep.path, pages=pages, cursor=cursor
        )
        return df

    def _numbered_pages(
        self,
        ep: Endpoint,
        params: Any,
        fields: Mapping[str, Any],
        *,
        raw: bool,
        progress: bool | None = None,
        max_rows: int | None = None,
    ) -> Any:
        """history-fund-rate: pages ``cursor`` = 1, 2 … (newest first) until a short page;
        ``startTime`` / ``endTime`` are applied here (the endpoint has no time filter): pages
        stop once they reach times before ``startTime``, and rows outside the range are left
        out."""
        query = _payload(ep, params, fields)
        since = query.pop("startTime", None)
        until = query.pop("endTime", None)
        if raw:
            return self._transport.call(ep, query)
        page_size = int(query.setdefault("limit", str(_NUMBERED_PAGE_SIZE)))
        first = int(query.pop("cursor", 1))
        low = None if since is None else int(since)
        high = None if until is None else int(until)
        stamp = _ROW_TIME[ep.name]

        def reached_start(rows: list[Any]) -> bool:
            return low is not None and any(_ms(r.get(stamp)) < low for r in rows)

        def wanted(row: Any) -> bool:
            at = _ms(row.get(stamp))
            return (low is None or at >= low) and (high is None or at <= high)

        collected = frames.PagedFrame(ep.schema, max_rows=max_rows)
        head: Mapping[str, Any] | None = None
        pages = 0
        bar = _progress(progress, ep.name)
        try:
            for envelope in paging.follow_page_numbers(
                lambda q: self._transport.call(ep, q),
                query,
                page_size=page_size,
                first=first,
                done=reached_start,
                max_rows=max_rows,
            ):
                pages += 1
                if pages == 1:
                    head = envelope
                collected.add([r for r in paging.result_rows(envelope.get("data")) if wanted(r)])
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        df = collected.frame()
        df.attrs["envelope"] = frames.envelope_meta(
            head if pages else None, endpoint=ep.name, path=ep.path, pages=pages
        )
        return df

    def _get_open_interest(self, params: Any, fields: Mapping[str, Any], *, raw: bool) -> Any:
        """One row per symbol, each with the answer's ``ts`` (the time of the figures), so
        readings taken over time stack into one frame to plot."""
        ep = ENDPOINTS["get_open_interest"]
        envelope = self._transport.call(ep, _payload(ep, params, fields))
        if raw:
            return envelope
        data = envelope.get("data")
        ts = data.get("ts") if isinstance(data, Mapping) else None
        rows = [{**row, "ts": row.get("ts", ts)} for row in paging.page_rows(data)]
        meta = frames.envelope_meta(envelope, endpoint=ep.name, path=ep.path, pages=1)
        return frames.to_frame(rows, ep.schema, envelope=meta)

    def _now_ms(self) -> float:
        """The exchange's time as this client knows it (local clock + measured offset)."""
        return self._transport.now_ms()


def _int_or_none(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


#: Rows per page the client asks of history-fund-rate when no limit is given (its maximum).
_NUMBERED_PAGE_SIZE = 100
#: The time column of the rows of each numbered-pages endpoint.
_ROW_TIME = {"get_history_funding_rate": "fundingRateTimestamp"}


def _ms(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _progress(progress: bool | None, name: str) -> Any:
    """A tqdm bar: always with ``True``, never with ``False``, and by default only once a
    download has taken more than two seconds (tqdm's ``delay``), so short calls stay quiet."""
    if progress is False:
        return None
    from tqdm.auto import tqdm

    return tqdm(desc=name, unit="page", delay=0 if progress else 2.0, leave=False)


def _order(request: Any, fields: Mapping[str, Any]) -> PlaceOrderRequestV3:
    if isinstance(request, PlaceOrderRequestV3):
        return request.replace(**fields) if fields else request
    if request is not None and not isinstance(request, Mapping):
        raise TypeError(
            "an order is a PlaceOrderRequestV3, a mapping of wire fields or keyword arguments, "
            f"not {type(request).__name__}"
        )
    return PlaceOrderRequestV3.from_mapping({**(request or {}), **fields})


def _check_ticks(rules: InstrumentRules, req: Any) -> None:
    """TP/SL trigger and limit prices lie on the instrument's tick grid, like the price."""
    for name in ("takeProfit", "stopLoss", "tpLimitPrice", "slLimitPrice"):
        value = getattr(req, name)
        if value is not None and rules.tick and Decimal(value) % rules.tick:
            low, high = rules.round_price(value, "down"), rules.round_price(value, "up")
            raise ValidationError(
                f"{name}: {value} is not a multiple of the tick size {rules.tick} for "
                f"{rules.symbol}; try {low} or {high}",
                field=name,
            )


def _batchable(req: PlaceOrderRequestV3) -> None:
    """place-batch does not take attached TP/SL or reduce-only orders (spec §4.1.2)."""
    for name in ("takeProfit", "stopLoss", "tpTriggerBy", "slTriggerBy", "tpOrderType",
                 "slOrderType", "tpLimitPrice", "slLimitPrice"):  # fmt: skip
        if getattr(req, name) is not None:
            raise ValidationError(
                f"{name}: batch orders cannot carry an attached TP/SL; place this order with "
                "submit_new_order",
                field=name,
            )
    if req.reduceOnly == "yes":
        raise ValidationError(
            "reduceOnly: batch orders cannot be reduce-only; place this order with "
            "submit_new_order",
            field="reduceOnly",
        )


def _chunks(requests_: list[PlaceOrderRequestV3], size: int) -> list[list[int]]:
    """Indexes in chunks of ≤ ``size``, one category per chunk, input order kept inside."""
    by_category: dict[str, list[int]] = {}
    for index, req in enumerate(requests_):
        by_category.setdefault(req.category, []).append(index)
    return [
        indexes[i : i + size]
        for indexes in by_category.values()
        for i in range(0, len(indexes), size)
    ]


def _id_payload(name: str, params: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
    ep = ENDPOINTS[name]
    payload = _payload(ep, params, fields, check=False)
    for key, value in payload.items():  # ids, category, symbol… travel as text (spec §4.0)
        finite = not isinstance(value, float) or math.isfinite(value)
        if not isinstance(value, str | int | float) or not finite:
            raise ValidationError(f"{key}: expected text or a number, got {value!r}", field=key)
    _check_present(ep, payload)
    if "category" in payload:
        category = str(payload["category"]).strip().upper()
        if category not in CATEGORIES:
            raise ValidationError(
                f"category: {payload['category']!r} is not one of {', '.join(CATEGORIES)}",
                field="category",
            )
        payload["category"] = category
    return payload


def _countdown(value: Any) -> str:
    """``countdown`` as the wire wants it: whole seconds 5–60, or ``"0"`` (spec §4.1.9)."""
    text = str(value).strip() if value is not None else ""
    if not text.isdigit() or not (text == "0" or 5 <= int(text) <= 60):
        raise ValidationError(
            f"countdown: {value!r} must be whole seconds from 5 to 60, or 0 to disarm",
            field="countdown",
        )
    return str(int(text))


def _ids_of(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {"orderId": payload.get("orderId") or "", "clientOid": payload.get("clientOid") or ""}


def _unsent(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The row of a batch item not sent (yet): replaced by its result once its chunk is."""
    return {**_ids_of(payload), "code": NOT_SENT, "msg": "not sent"}


def _chunk_unknown(
    exc: OutcomeUnknownError, chunk: list[int], results: list[dict[str, Any]]
) -> OutcomeUnknownError:
    """A chunk's outcome stayed unknown: the batch stops there, and the error carries every
    row — settled, unknown, and ``NOT_SENT`` for the chunks after it."""
    for index, item in zip(chunk, exc.results or [], strict=False):
        results[index] = item
    return OutcomeUnknownError(
        exc.code,
        f"{exc.msg}. Later chunks were not sent (code {NOT_SENT} in .results)",
        client_oids=exc.client_oids,
        results=frames.batch_frame(results),
        endpoint=exc.endpoint,
    )


def _reconciled(frame: pd.DataFrame, envelope: Mapping[str, Any]) -> pd.DataFrame:
    """``.attrs["reconciled"]``: whether the answer was lost and the outcome settled by
    reading the exchange's state (then the affected rows are not known, and none are shown)."""
    frame.attrs["reconciled"] = bool(envelope.get("reconciled"))
    return frame


def _batch_result(results: list[dict[str, Any]], name: str) -> pd.DataFrame:
    """The frame of a batch sent in chunks: its metadata names the endpoint (each row has
    its own code and message)."""
    meta = {"endpoint": name, "path": ENDPOINTS[name].path}
    return frames.batch_frame(results, envelope=meta)


def _ack_series(envelope: Mapping[str, Any], name: str) -> pd.Series:
    meta = frames.envelope_meta(envelope, endpoint=name, path=ENDPOINTS[name].path, pages=1)
    series = frames.to_series(envelope.get("data"), "order_ack", envelope=meta)
    series.attrs["reconciled"] = bool(envelope.get("reconciled"))
    return series


_Handler = Callable[..., Any]

#: The endpoints whose call does more than send and shape (safety, caching, checks): the
#: rest go through :meth:`BitgetClient._read` or, for pages, :meth:`BitgetClient._paged`.
_HANDLERS: dict[str, _Handler] = {
    "get_instruments": BitgetClient._get_instruments,
    "get_open_interest": BitgetClient._get_open_interest,
    "round_order": BitgetClient._round_order,
    "submit_new_order": BitgetClient._submit_new_order,
    "place_batch_orders": BitgetClient._place_batch_orders,
    "modify_order": BitgetClient._modify_order,
    "batch_modify_orders": BitgetClient._batch_modify_orders,
    "cancel_order": BitgetClient._cancel_order,
    "cancel_batch_orders": BitgetClient._cancel_batch_orders,
    "cancel_all_orders": BitgetClient._cancel_all_orders,
    "set_hold_mode": BitgetClient._set_hold_mode,
    "set_leverage": BitgetClient._set_leverage,
    "close_all_positions": BitgetClient._close_all_positions,
    "countdown_cancel_all": BitgetClient._countdown_cancel_all,
    "submit_strategy_order": BitgetClient._submit_strategy_order,
    "modify_strategy_order": BitgetClient._modify_strategy_order,
    "cancel_strategy_order": BitgetClient._cancel_strategy_order,
    "copy_futures_transfer": BitgetClient._copy_futures_transfer,
    "get_candles": BitgetClient._get_candles,
    "get_history_candles": BitgetClient._get_history_candles,
}
