"""``OrderForm``: an order ticket for ``PlaceOrderRequestV3`` — build, review, confirm.

The controls are derived from the request model (``dataclasses.fields`` and their
``metadata``: ``choices`` become drop-downs, ``decimal`` amounts text boxes), so a field added
to the model appears in the form. Input is checked as it is typed with the client's own rules
(the model, :class:`~bitget_nb.InstrumentRules`, the hold-mode ``posSide`` shape); **Review**
freezes the exact payload, **Confirm** sends exactly that payload once.

Without a client the form is a payload builder:

>>> form = OrderForm(category="SPOT", symbol="BTCUSDT", side="buy", orderType="limit",
...                  qty="0.001", price="60000", clientOid="doc-form-1")
>>> form.payload  # doctest: +NORMALIZE_WHITESPACE
{'category': 'SPOT', 'symbol': 'BTCUSDT', 'side': 'buy', 'orderType': 'limit',
 'qty': '0.001', 'price': '60000', 'clientOid': 'doc-form-1'}
>>> form.fields["orderType"].value = "market"      # price is disabled for market orders
>>> form.fields["price"].disabled, "price" in form.payload
(True, False)

Every field that is wrong says so at once, each next to itself:

>>> sorted(OrderForm(symbol="BTCUSDT", qty="0,5", price="6e4", clientOid="doc-form-3").errors)
['price', 'qty']
"""

from __future__ import annotations

import dataclasses
import html
import logging
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..endpoints import ENDPOINTS
from ..errors import BitgetError, ConfigurationError, ValidationError
from ..models import PlaceOrderRequestV3, decimal_text, new_client_oid
from ..rules import InstrumentRules, Violation, check_pos_side
from ..signing import compact_json
from ..vocab import FUTURES_CATEGORIES
from ._ui import (
    _TAGS,
    Panel,
    announce_write,
    badge_html,
    error_html,
    esc,
    explain,
    message_html,
    styled_button,
)

if TYPE_CHECKING:
    from ..client import BitgetClient

__all__ = ["OrderForm"]

logger = logging.getLogger(__name__)

_FIELDS = dataclasses.fields(PlaceOrderRequestV3)
_NAMES = {f.name for f in _FIELDS}
#: Layout only (which box a field sits in); the fields themselves come from the model.
_FUTURES_ONLY = ("posSide", "marginMode", "reduceOnly")
_UNSET = ""
#: Wide enough for the longest field name in any font: a label is never cut to "tpLimitPr…".
_LABEL_WIDTH = f"{max(len(f.name) for f in _FIELDS) + 3}ch"
#: Violation codes that "round to tick/step" fixes (InstrumentRules.violations).
_ROUNDABLE = {"price": "25244", "qty": "25610"}
#: Values the model accepts, put in place of a missing or wrong field while the rules between
#: fields are checked, so that one wrong field does not hide what is wrong with the others.
#: None of them decides another rule, except the price (see OrderForm._check).
_STAND_INS = {"symbol": "X", "qty": "1", "price": "1", "tpLimitPrice": "1", "slLimitPrice": "1"}
#: A market order takes no price and no time in force (spec §5.2: it ignores timeInForce).
_LIMIT_ONLY = ("price", "timeInForce")
_FIELD_META = {f.name: f.metadata for f in _FIELDS}
#: An order that breaks no rule, to check one field's value on its own (the clientOid).
_BASELINE = {"category": "SPOT", "symbol": "X", "side": "buy", "orderType": "market", "qty": "1"}


def _leg(name: str) -> str | None:
    """``"tp"`` / ``"sl"`` for the attached take-profit / stop-loss fields, else ``None``."""
    if name == "takeProfit" or name.startswith("tp"):
        return "tp"
    if name == "stopLoss" or name.startswith("sl"):
        return "sl"
    return None


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _dec(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _amount(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.00000001")).normalize(), "f")
    return "0" if text in ("-0", "0E-8") else text


def _show(widget: w.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


class OrderForm(Panel):
    """An order ticket: one control per field of :class:`~bitget_nb.PlaceOrderRequestV3`,
    live validation, a preview, and Review → Confirm.

    ``client`` is a :class:`~bitget_nb.BitgetClient` (``None``: a payload builder without
    Confirm). Keyword arguments pre-fill fields by wire name. The programmatic surface mirrors
    the buttons: :attr:`fields` (wire name → control), :meth:`set`, :meth:`review`,
    :meth:`confirm`, :attr:`request`, :attr:`payload`, :attr:`errors`, :attr:`result`.

    >>> import bitget_nb as bg
    >>> with bg.LocalExchange(seed=7, start_time="2026-01-05T00:00:00Z") as ex:
    ...     client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
    ...     form = bg.OrderForm(client, symbol="BTCUSDT", side="buy", orderType="limit",
    ...                         qty="0.001", price="60000", clientOid="doc-form-2")
    ...     _ = form.review()
    ...     result = form.confirm()
    ...     client.close()
    >>> result["ok"], result["clientOid"], result["orderStatus"]
    (True, 'doc-form-2', 'live')
    """

    def __init__(self, client: BitgetClient | None = None, /, **initial: Any) -> None:
        unknown = sorted(set(initial) - {f.name for f in _FIELDS})
        if unknown:
            raise TypeError(
                f"OrderForm: {', '.join(unknown)} is not a field of PlaceOrderRequestV3"
            )
        super().__init__(client)
        self._updating = False
        self._instruments: dict[str, dict[str, Mapping[str, Any]]] = {}
        self._taker: dict[tuple[str, str], Decimal | None] = {}
        self._last_price: dict[tuple[str, str], Decimal | None] = {}
        self._request: PlaceOrderRequestV3 | None = None
        self._errors: dict[str, list[str]] = {}
        #: The outcome of the last Confirm: ``{"ok": True, "orderId", "clientOid",
        #: "orderStatus", "reconciled"}`` or ``{"ok": False, "code", "message", "action",
        #: "clientOid"}``; ``None`` before the first.
        self.result: dict[str, Any] | None = None

        controls: dict[str, w.ValueWidget] = {}
        round_buttons: dict[str, w.Button] = {}
        self._messages: dict[str, w.HTML] = {}
        self._rows: dict[str, w.Box] = {}
        for f in _FIELDS:
            control = self._control(f)
            control.add_class(f"bgnb-field-{f.name}")
            message = w.HTML(layout=w.Layout(margin="0 0 0 8px"))
            message.add_class(f"bgnb-msg-{f.name}")
            extras: list[w.Widget] = []
            if f.name in _ROUNDABLE:
                label = "round to tick" if f.name == "price" else "round to step"
                button = styled_button(label, f"bgnb-round-{f.name}", tooltip=label)
                _show(button, False)
                button.on_click(lambda b, name=f.name: self._clicked(b, self.round_field, name))
                round_buttons[f.name] = button
                extras.append(button)
            if f.name == "clientOid":
                button = styled_button("new", "bgnb-new-oid", tooltip="a fresh clientOid")
                button.on_click(lambda b: self._clicked(b, self.new_client_oid))
                extras.append(button)
            controls[f.name] = control
            self._messages[f.name] = message
            self._rows[f.name] = w.HBox([control, *extras, message])
        #: wire name → control, in the model's field order.
        self.fields: Mapping[str, w.ValueWidget] = MappingProxyType(controls)
        #: ``price`` / ``qty`` → its "round to tick" / "round to step" button (shown when the
        #: value is off the grid).
        self.round_buttons: Mapping[str, w.Button] = MappingProxyType(round_buttons)

        self._env_badge = w.HTML(self._badge())
        self._env_badge.add_class("bgnb-env")
        self._preview = w.HTML()
        self._preview.add_class("bgnb-preview")
        self._result_html = w.HTML()
        self._result_html.add_class("bgnb-result")
        self.review_button = styled_button(
            "Review", "bgnb-review", style="info", tooltip="freeze this payload and show it"
        )
        self.confirm_button = styled_button(
            self._confirm_label(),
            "bgnb-confirm",
            style="danger" if client is not None and client.env == "live" else "success",
            tooltip="send exactly the reviewed payload",
        )
        self.confirm_button.disabled = True
        _show(self.confirm_button, client is not None)
        self.review_button.on_click(lambda b: self._clicked(b, self.review))
        self.confirm_button.on_click(lambda b: self._clicked(b, self.confirm))

        main = [
            self._rows[f.name]
            for f in _FIELDS
            if f.name not in _FUTURES_ONLY and _leg(f.name) is None
        ]
        self._futures_box = w.VBox(
            [w.HTML("<b>Futures</b>"), *(self._rows[name] for name in _FUTURES_ONLY)]
        )
        legs: dict[str, list[str]] = {"tp": [], "sl": []}
        for f in _FIELDS:
            leg = _leg(f.name)
            if leg is not None:
                legs[leg].append(f.name)
        for names in legs.values():  # the trigger price first, then how it triggers and fills
            names.sort(key=lambda n: n not in ("takeProfit", "stopLoss"))
        self._tpsl_box = w.VBox(
            [
                w.HTML("<b>Take profit / stop loss</b> (attached to the order)"),
                w.VBox([self._rows[n] for n in legs["tp"]]),
                w.VBox([self._rows[n] for n in legs["sl"]]),
            ]
        )
        self._tpsl_box.add_class("bgnb-tpsl")
        self.children = [
            w.HBox([w.HTML("<b>Order ticket</b>&nbsp;"), self._env_badge]),
            *main,
            self._futures_box,
            self._tpsl_box,
            self._preview,
            w.HBox([self.review_button, self.confirm_button]),
            self._status,
            self._result_html,
        ]
        self.add_class("bgnb-order-form")

        self._updating = True
        try:
            category = self._coerce("category", initial.pop("category", None) or "SPOT")
            controls["category"].value = category
            self._load_symbols(category, prefer=initial.pop("symbol", None))
            if "clientOid" not in initial:
                controls["clientOid"].value = new_client_oid()
        finally:
            self._updating = False
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.set(**initial)

    # -- building -----------------------------------------------------------------------------
    def _control(self, f: dataclasses.Field[Any]) -> w.ValueWidget:
        common: dict[str, Any] = {
            "description": f.name,
            "style": {"description_width": _LABEL_WIDTH},
            "layout": w.Layout(width="330px", flex="0 0 auto"),  # messages wrap, not labels
        }
        required = f.default is dataclasses.MISSING
        if f.name == "symbol" and self._client is not None:
            return w.Dropdown(options=[], **common)
        if "choices" in f.metadata:
            choices = list(f.metadata["choices"])
            options = choices if required else [("—", _UNSET), *((c, c) for c in choices)]
            return w.Dropdown(options=options, value=choices[0] if required else _UNSET, **common)
        placeholder = "decimal" if f.metadata.get("decimal") else ""
        return w.Text(value="", placeholder=placeholder, continuous_update=True, **common)

    def _confirm_label(self) -> str:
        if self._client is None:
            return "Confirm"
        env = self._client.env.upper()
        return f"Confirm → {env}" + (f" {self.account}" if env == "LIVE" and self.account else "")

    def _load_symbols(self, category: str, prefer: Any = None) -> None:
        """Fill the symbol choices from the client's instruments of ``category``."""
        control = self.fields["symbol"]
        wanted = str(prefer or control.value or "").upper()
        if self._client is None:
            control.value = wanted
            return
        rows = self._instrument_rows(category)
        options = list(rows)
        control.options = options
        if wanted in rows:
            control.value = wanted
        elif options:
            control.value = "BTCUSDT" if "BTCUSDT" in rows else options[0]

    def _instrument_rows(self, category: str) -> dict[str, Mapping[str, Any]]:
        if category not in self._instruments:
            rows: dict[str, Mapping[str, Any]] = {}
            if self._client is not None:
                try:
                    data = self._client.get_instruments(category=category, raw=True)["data"]
                    rows = {str(r.get("symbol", "")).upper(): r for r in data or []}
                except BitgetError as exc:
                    self._say(f"instruments of {category} unavailable: {exc}", "error")
                    return {}
            self._instruments[category] = rows
        return self._instruments[category]

    # -- the programmatic surface --------------------------------------------------------------
    def set(self, **values: Any) -> OrderForm:
        """Set several fields by wire name at once (like typing into each control).

        >>> OrderForm().set(symbol="ETHUSDT", qty="0.01").fields["qty"].value
        '0.01'
        """
        unknown = sorted(set(values) - set(self.fields))
        if unknown:
            raise TypeError(f"set: {', '.join(unknown)} is not a field of PlaceOrderRequestV3")
        if not values:
            self._refresh()
            return self
        self._updating = True
        try:
            if "category" in values:
                category = self._coerce("category", values.pop("category"))
                self.fields["category"].value = category
                self._load_symbols(category, prefer=values.pop("symbol", None))
            for name, value in values.items():
                self.fields[name].value = self._coerce(name, value)
        finally:
            self._updating = False
        self._edited()
        return self

    def _coerce(self, name: str, value: Any) -> str:
        """``value`` as the control of ``name`` holds it (a choice matched case-insensitively)."""
        text = _text(value).strip()
        control = self.fields[name]
        if isinstance(control, w.Dropdown):
            for option in control.options:
                option_value = option[1] if isinstance(option, tuple) else option
                if str(option_value).lower() == text.lower():
                    return option_value
            choices = ", ".join(str(o[1] if isinstance(o, tuple) else o) for o in control.options)
            raise ValidationError(f"{name}: {value!r} is not one of {choices}", field=name)
        return text

    @property
    def request(self) -> PlaceOrderRequestV3:
        """The order the controls describe; raises :class:`~bitget_nb.ValidationError` naming
        the first problem when there is one."""
        if self._request is None:
            field, message = self._first_error()
            raise ValidationError(message, field=field)
        return self._request

    @property
    def payload(self) -> dict[str, str]:
        """The exact dict :meth:`confirm` would send (``request.to_payload()``)."""
        return self.request.to_payload()

    @property
    def payload_json(self) -> str:
        """The exact JSON text of the body :meth:`confirm` would send (as the preview shows)."""
        return compact_json(self.payload)

    @property
    def estimate(self) -> dict[str, Any]:
        """What the order is worth, in the quote coin: ``notional``, ``fee`` (at the taker
        rate — the most it can cost), ``takerFeeRate``, ``coin`` and the ``basis`` of the
        notional (``"price"``, ``"last price"`` for market orders, or ``"qty"`` for a spot
        market buy, which is sized in the quote coin). Unknown values are ``None``."""
        return self._estimate(self.request)

    def _estimate(self, req: PlaceOrderRequestV3) -> dict[str, Any]:
        qty = Decimal(req.qty)
        if req.category in ("SPOT", "MARGIN") and req.orderType == "market" and req.side == "buy":
            notional: Decimal | None = qty
            basis = "qty"
        elif req.price is not None:
            notional, basis = qty * Decimal(req.price), "price"
        else:
            last = self._reference_price(req.category, req.symbol, fresh=False)
            notional, basis = (qty * last if last is not None else None), "last price"
        rate = self._taker_rate(req.category, req.symbol) if self._client else None
        fee = notional * rate if notional is not None and rate is not None else None
        return {
            "notional": notional,
            "fee": fee,
            "takerFeeRate": rate,
            "coin": self._quote_coin() or None,
            "basis": basis,
        }

    @property
    def preview(self) -> str:
        """The preview as plain text: environment, notional, fee and the JSON body."""
        text = self._preview.value.replace("<br>", "\n").replace("<pre", "\n<pre")
        return html.unescape(_TAGS.sub("", text)).strip()

    @property
    def reviewed(self) -> PlaceOrderRequestV3 | None:
        """The request frozen by :meth:`review`, waiting for :meth:`confirm`, or ``None``."""
        return self._gate.plan

    @property
    def errors(self) -> dict[str, str]:
        """Field → what is wrong with it (empty when the order can be reviewed)."""
        return {name: "; ".join(messages) for name, messages in self._errors.items()}

    def review(self) -> PlaceOrderRequestV3:
        """Freeze the payload and show it (the Review button). Raises
        :class:`~bitget_nb.ValidationError` when the input is not valid."""
        if self._gate.in_flight:
            self._say("a request is in flight: wait for its result", "error")
            raise ValidationError("a request is in flight: wait for its result")
        self._refresh(fresh_price=True)
        if self._request is None:
            field, message = self._first_error()
            self._say(f"cannot review: {message}", "error")
            raise ValidationError(message, field=field)
        frozen = self._request
        self._gate.freeze(frozen)
        self._render_preview(frozen, reviewed=True)
        self._sync_buttons()
        where = self._client.env.upper() if self._client else "nowhere (no client)"
        self._say(f"reviewed: Confirm sends exactly this payload to {where}", "ok")
        return frozen

    def confirm(self) -> dict[str, Any]:
        """Send the reviewed payload, once (the Confirm button); returns :attr:`result`.

        Raises :class:`~bitget_nb.ValidationError` when nothing is reviewed (or the review
        was already sent, or a send is in flight) and
        :class:`~bitget_nb.ConfigurationError` without a client. An error from the exchange
        does not raise: it is the result (``ok=False`` with code, message, what to do).
        """
        if self._client is None:
            message = (
                "this OrderForm has no client, so it only builds payloads "
                "(form.payload); pass one to send: bg.OrderForm(bg.connect())"
            )
            self._say(message, "error")
            raise ConfigurationError(message)
        frozen = self._gate.take()
        if frozen is None:
            reason = (
                "a request is in flight: wait for its result"
                if self._gate.in_flight
                else "nothing reviewed to confirm: click Review first (editing a field after "
                "Review discards the review; a confirmed review is sent once)"
            )
            self._say(reason, "error")
            raise ValidationError(reason)
        self._sync_buttons()
        self._say(f"sending {frozen.clientOid} to {self._client.env.upper()}…", "info")
        try:
            result, unknown = self._place(frozen)
        finally:
            self._gate.release()
        self.result = result
        if result["ok"]:
            self._result_html.value = self._ok_html(result)
            self.new_client_oid()
            self._say("sent; the form has a fresh clientOid for the next order", "ok")
        else:
            title = "Outcome unknown" if unknown else "Refused"
            self._result_html.value = error_html(result, title)
            self._refresh()  # the clientOid stays, so a second attempt is matched to the first
            self._say(f"{title.lower()}: {result['message']}", "error")
        if result["ok"] or unknown:  # the exchange may have changed: views on it read again
            announce_write(self, f"order {frozen.clientOid} from an order form")
        return result

    def round_field(self, name: str) -> str:
        """Round ``price`` to the tick or ``qty`` to the lot step (the "round" buttons);
        returns the new value."""
        if name not in _ROUNDABLE:
            raise ValueError(f"round_field: only {', '.join(_ROUNDABLE)} can be rounded")
        rules = self._rules()
        value = self.fields[name].value
        if rules is None or _dec(value) is None:
            self._say(f"{name}: nothing to round", "error")
            raise ValidationError(f"{name}: nothing to round", field=name)
        if name == "price":
            rounded = rules.round_price(value)
        else:
            quote = rules.quote_sized(
                side=self.fields["side"].value, orderType=self.fields["orderType"].value
            )
            rounded = rules.round_qty(value, "down", quote=quote)
            if rounded <= 0:
                rounded = rules.round_qty(value, "up", quote=quote)
        self.fields[name].value = format(rounded.normalize(), "f")  # 0.001, not 0.001000
        return self.fields[name].value

    def new_client_oid(self) -> str:
        """Put a fresh ``clientOid`` in the form (the "new" button); returns it."""
        oid = new_client_oid()
        self.fields["clientOid"].value = oid
        return oid

    def __repr__(self) -> str:
        env = self._client.env if self._client is not None else "no client"
        state = (
            "in flight"
            if self._gate.in_flight
            else "reviewed"
            if self._gate.plan is not None
            else "editing"
        )
        req = self._request
        if req is None:
            what = f"{len(self._errors)} field(s) to fix"
        else:
            what = f"{req.category} {req.symbol} {req.side} {req.orderType} {req.qty}"
            what += f" @ {req.price}" if req.price is not None else ""
        return f"OrderForm({env}, {state}: {what})"

    # -- reacting to edits ---------------------------------------------------------------------
    def _on_change(self, change: Mapping[str, Any]) -> None:
        if self._updating:
            return
        try:
            if change["owner"] is self.fields["category"]:
                self._updating = True
                try:
                    self._load_symbols(str(change["new"]))
                finally:
                    self._updating = False
            self._edited()
        except Exception as exc:  # an observer must never raise into the front end
            logger.debug("order form update failed", exc_info=True)
            self._say(f"could not update the form: {exc}", "error")

    def _edited(self) -> None:
        # what the status said (a refusal, "reviewed") was about the order before this edit
        self._say("")
        if self._gate.discard():
            self._say("edited after Review: the review is discarded — review again", "warn")
        self._refresh()

    # -- validation ----------------------------------------------------------------------------
    def _refresh(self, *, fresh_price: bool = False) -> None:
        """Show/enable the controls that apply, validate, and update messages and preview."""
        values = {name: control.value for name, control in self.fields.items()}
        category = str(values["category"])
        futures = category in FUTURES_CATEGORIES
        hold = self._hold_mode() if futures else None
        visible = {f.name for f in _FIELDS}
        if not futures:
            visible -= set(_FUTURES_ONLY) | {f.name for f in _FIELDS if _leg(f.name)}
        elif hold == "one_way_mode":
            visible.discard("posSide")
        elif hold == "hedge_mode":
            visible.discard("reduceOnly")  # side + posSide say open or close (spec §5.3)
        enabled = set(visible)
        if values["orderType"] == "market":
            enabled -= set(_LIMIT_ONLY)
        for leg in ("tp", "sl"):
            if values.get(f"{leg}OrderType") != "limit":
                enabled.discard(f"{leg}LimitPrice")
        _show(self._futures_box, futures)
        _show(self._tpsl_box, futures)
        for name, row in self._rows.items():
            _show(row, name in visible)
            self.fields[name].disabled = name not in enabled

        given = {n: v.strip() if isinstance(v, str) else v for n, v in values.items()}
        wire = {n: v for n, v in given.items() if n in enabled and v not in (_UNSET, None)}
        errors: dict[str, list[str]] = {}

        def add(field: str | None, message: str) -> None:
            bucket = errors.setdefault(field or "order", [])
            if message not in bucket:
                bucket.append(message)

        if "clientOid" not in wire:
            add(
                "clientOid",
                "clientOid: required, so the order can be looked up after a lost "
                "answer — click “new” for a fresh one",
            )
        checked = self._check(wire, errors, add)
        if checked is not None and futures and hold is not None:
            try:
                check_pos_side(checked, hold)
            except ValidationError as exc:
                add(exc.field, str(exc))
        violations = self._violations(wire, skip=set(errors), fresh_price=fresh_price)
        for violation in violations:
            add(violation.field, violation.message)
        self._errors = errors
        # without errors no stand-in was used: `checked` is exactly the order of the controls
        self._request = checked if not errors else None

        note = self._qty_note(wire)
        for name, message in self._messages.items():
            if name in errors:
                message.value = message_html("; ".join(errors[name]), "error")
            elif name == "qty" and note:
                message.value = message_html(note, "info")
            else:
                message.value = ""
        codes = {(v.field, v.code) for v in violations}
        for name, button in self.round_buttons.items():
            _show(button, (name, _ROUNDABLE[name]) in codes and name in enabled)
        if self._gate.plan is None:
            if self._request is not None:
                self._render_preview(self._request, reviewed=False)
            else:
                _field, message = self._first_error()
                self._preview.value = message_html(
                    f"fix the fields marked in red ({message})", "warn"
                )
        self._sync_buttons()

    def _check(
        self,
        wire: Mapping[str, Any],
        errors: Mapping[str, list[str]],
        add: Any,
    ) -> PlaceOrderRequestV3 | None:
        """Check every field, each on its own and against the others, and ``add`` what is
        wrong with each one — all of them at once, not just the first the model meets.

        Returns the request the fields describe when it could be built: exactly the order
        when nothing is wrong, else one with stand-ins for the wrong fields (for the checks
        that follow, like the hold mode's). ``None`` when even that could not be built.
        """
        trial: dict[str, Any] = {}
        for name, value in wire.items():
            try:
                if _FIELD_META[name].get("decimal"):
                    decimal_text(value, name)  # the model's own rule for an amount
                elif name == "clientOid":
                    PlaceOrderRequestV3(**_BASELINE, clientOid=value)
            except ValidationError as exc:
                add(name, str(exc))
                continue
            trial[name] = value
        # The rules between fields, as the model checks them, one at a time: take the field
        # each names out of the way (or put a stand-in in its place) and look again.
        stood_in: set[str] = set()
        for _ in range(2 * len(_FIELDS)):
            try:
                return PlaceOrderRequestV3.from_mapping(trial)
            except ValidationError as exc:
                if exc.field is None or exc.field not in _NAMES:
                    add(exc.field, str(exc))
                    return None
                name = exc.field
                if "price" in stood_in and name in ("takeProfit", "stopLoss") and name in trial:
                    return None  # its level was judged against the stand-in price: no verdict
                if name not in errors:  # the first problem of a field is the one to fix
                    add(name, str(exc))
                if name in trial and name not in stood_in:
                    del trial[name]
                elif name not in trial and name in _STAND_INS:
                    trial[name] = _STAND_INS[name]
                    stood_in.add(name)
                elif _leg(name) and any(_leg(n) == _leg(name) for n in trial):
                    for other in [n for n in trial if _leg(n) == _leg(name)]:
                        del trial[other]  # a leg without its trigger price: the rest is moot
                else:
                    return None
        return None

    def _first_error(self) -> tuple[str | None, str]:
        for name, messages in self._errors.items():
            return (name if name != "order" else None), messages[0]
        return None, "the form is not complete"

    def _hold_mode(self) -> str | None:
        if self._client is None:
            return None
        try:
            return self._client.hold_mode()
        except BitgetError as exc:
            self._say(f"hold mode unavailable: {exc}", "error")
            return None

    def _rules(self) -> InstrumentRules | None:
        if self._client is None:
            return None
        category, symbol = self.fields["category"].value, self.fields["symbol"].value
        if not symbol or symbol not in self._instrument_rows(category):
            return None
        return self._client.instrument_rules(category, symbol)

    def _violations(
        self, wire: Mapping[str, Any], *, skip: AbstractSet[str], fresh_price: bool
    ) -> list[Violation]:
        """The instrument's tick / step / minimum rules, as the client checks them, for the
        fields not in ``skip`` (those already have a message: a number that is not one)."""
        rules = self._rules()
        qty = wire.get("qty") if "qty" not in skip else None
        price = wire.get("price") if "price" not in skip else None
        if rules is None or "side" not in wire or (qty is None and price is None):
            return []
        reference = None
        if wire.get("orderType") == "market" and qty is not None:
            reference = self._reference_price(rules.category, rules.symbol, fresh=fresh_price)
        found = rules.violations(
            side=wire["side"],
            orderType=wire["orderType"],
            qty=qty if qty is not None else _STAND_INS["qty"],  # the price's tick still counts
            price=price,
            reference_price=reference,
        )
        return [v for v in found if v.field not in skip and (qty is not None or v.field != "qty")]

    def _qty_note(self, wire: Mapping[str, Any]) -> str:
        if (
            wire.get("category") in ("SPOT", "MARGIN")
            and wire.get("orderType") == "market"
            and wire.get("side") == "buy"
        ):
            quote = self._quote_coin() or "the quote coin"
            return f"in {quote}: a spot market buy is sized in the quote coin"
        return ""

    def _row(self) -> Mapping[str, Any]:
        category, symbol = self.fields["category"].value, self.fields["symbol"].value
        return self._instruments.get(category, {}).get(str(symbol or "").upper(), {})

    def _quote_coin(self) -> str:
        return str(self._row().get("quoteCoin") or "")

    def _reference_price(self, category: str, symbol: str, *, fresh: bool) -> Decimal | None:
        key = (category, symbol)
        if (fresh or key not in self._last_price) and self._client is not None:
            try:
                data = self._client.get_tickers(category=category, symbol=symbol, raw=True)
                rows = data.get("data") or []
                self._last_price[key] = _dec(rows[0].get("lastPrice")) if rows else None
            except BitgetError as exc:
                logger.debug("last price unavailable: %s", exc)
                self._last_price[key] = None
        return self._last_price.get(key)

    def _taker_rate(self, category: str, symbol: str) -> Decimal | None:
        key = (category, symbol)
        if key not in self._taker:
            rate = _dec(self._row().get("takerFeeRate")) if self._row() else None
            if rate is None and self._client is not None:
                try:
                    data = self._client.get_fee_rate(category=category, symbol=symbol, raw=True)
                    rate = _dec((data.get("data") or {}).get("takerFeeRate"))
                except BitgetError as exc:
                    logger.debug("fee rate unavailable: %s", exc)
            self._taker[key] = rate
        return self._taker[key]

    # -- rendering -----------------------------------------------------------------------------
    def _sync_buttons(self) -> None:
        busy = self._gate.in_flight
        self.review_button.disabled = busy or self._request is None
        self.confirm_button.disabled = busy or self._gate.plan is None or self._client is None

    def _render_preview(self, req: PlaceOrderRequestV3, *, reviewed: bool) -> None:
        body = compact_json(req.to_payload())
        estimate = self._estimate(req)
        coin = estimate["coin"] or "quote"
        notional, fee, rate = estimate["notional"], estimate["fee"], estimate["takerFeeRate"]
        parts = []
        if notional is not None:
            at_last = " at the last price" if estimate["basis"] == "last price" else ""
            parts.append(f"notional ≈ {_amount(notional)} {coin}{at_last}")
            if fee is not None:
                parts.append(f"est. fee ≤ {_amount(fee)} {coin} (taker {_amount(rate * 100)} %)")
        else:
            parts.append("notional: unknown (no price)")
        state = (
            '<b style="color:#1565c0">REVIEWED</b> — Confirm sends exactly this'
            if reviewed
            else '<span style="color:#555">draft — Review to freeze it</span>'
        )
        env = self._client.env if self._client is not None else None
        path = ENDPOINTS["submit_new_order"].path
        self._preview.value = (
            '<div style="border:1px solid #ccc;border-radius:4px;padding:6px;margin:4px 0">'
            f"{badge_html(env, self.account)} {state}<br>"
            f'<span class="bgnb-notional" style="font-size:13px">{esc(" · ".join(parts))}'
            f"</span><br><code>POST {esc(path)}</code>"
            f'<pre class="bgnb-json" style="white-space:pre-wrap;word-break:break-all;'
            f'margin:4px 0">{esc(body)}</pre></div>'
        )

    def _place(self, frozen: PlaceOrderRequestV3) -> tuple[dict[str, Any], bool]:
        """Send ``frozen``; the result, and whether a failure left the outcome unknown."""
        assert self._client is not None
        try:
            ack = self._client.submit_new_order(frozen)
        except BitgetError as exc:
            from ..safety import uncertain

            return {"ok": False, **explain(exc), "clientOid": frozen.clientOid}, uncertain(exc)
        result: dict[str, Any] = {
            "ok": True,
            "orderId": str(ack["orderId"]),
            "clientOid": str(ack["clientOid"]),
            "orderStatus": None,
            "reconciled": bool(ack.attrs.get("reconciled")),
        }
        try:
            info = self._client.get_order_info(orderId=result["orderId"])
            result["orderStatus"] = str(info["orderStatus"])
        except BitgetError as exc:
            result["orderStatus"] = f"unknown ({explain(exc)['message']})"
        return result, False

    def _ok_html(self, result: Mapping[str, Any]) -> str:
        env = self._client.env if self._client is not None else None
        reconciled = " (settled by a lookup after a lost answer)" if result["reconciled"] else ""
        return (
            '<div class="bgnb-ok" style="border-left:4px solid #2e7d32;padding:4px 8px;'
            f'font-size:13px"><b>Sent</b> to {badge_html(env, self.account)}<br>'
            f"orderId <code>{esc(result['orderId'])}</code> · clientOid "
            f"<code>{esc(result['clientOid'])}</code> · status "
            f'<b class="bgnb-order-status">{esc(result["orderStatus"])}</b>{esc(reconciled)}'
            "</div>"
        )
