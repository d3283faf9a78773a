"""``OrdersView``: open orders and positions, with cancel / close of the selected rows behind
the same Review → Confirm step as the order ticket. It reads again by itself after another
widget on the same client (an ``OrderForm``, a ``KillSwitch``, another view) confirms a write.

When the client has a stream open (``client.stream()``, or one given as ``stream=``) the view
follows its ``order`` and ``position`` channels instead of waiting for a click: every order
push redraws the open orders from ``stream.orders``, every position push the positions from
``stream.positions`` — whoever placed or cancelled the order (this notebook over REST,
another process, the exchange), with no polling and no REST read. The redraws run on the
loop the view was made on (the kernel's), never on the stream's thread (:mod:`._live`).

>>> import bitget_nb as bg
>>> with bg.LocalExchange(seed=7, start_time="2026-01-05T00:00:00Z") as ex:
...     client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
...     ack = client.submit_new_order(category="SPOT", symbol="BTCUSDT", side="buy",
...         orderType="limit", qty="0.001", price="60000", clientOid="doc-view-1")
...     view = OrdersView(client)
...     plan = view.review_cancel([ack["orderId"]])
...     result = view.confirm()
...     client.close()
>>> result[["action", "clientOid", "ok"]].to_dict("records")
[{'action': 'cancel', 'clientOid': 'doc-view-1', 'ok': True}]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import ipywidgets as w
import pandas as pd

from ..errors import BitgetError, ValidationError
from ..stream import Stream
from ..vocab import CATEGORIES, FUTURES_CATEGORIES
from ._live import Coalesced, UiLoop, remove_all, until
from ._ui import (
    Panel,
    announce_write,
    error_html,
    esc,
    explain,
    frame_html,
    listen_for_writes,
    message_html,
    styled_button,
)

if TYPE_CHECKING:
    from ..client import BitgetClient

__all__ = ["OrdersView", "outcome_frame"]

logger = logging.getLogger(__name__)

_ORDER_COLUMNS = (
    "orderId",
    "clientOid",
    "symbol",
    "side",
    "orderType",
    "price",
    "qty",
    "cumExecQty",
    "orderStatus",
    "posSide",
    "createdTime",
)
_POSITION_COLUMNS = (
    "symbol",
    "posSide",
    "holdMode",
    "marginMode",
    "total",
    "avgPrice",
    "markPrice",
    "unrealisedPnl",
    "leverage",
    "liquidationPrice",
)
#: Columns of every write outcome frame (cancel, close, kill switch).
OUTCOME_COLUMNS = ("action", "category", "symbol", "orderId", "clientOid", "ok", "code", "message")


@dataclass(frozen=True, slots=True)
class Plan:
    """A reviewed write: ``kind`` (``cancel`` / ``close``) and the rows it acts on."""

    kind: str
    items: tuple[Mapping[str, Any], ...]


def outcome_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Write outcomes as a frame with :data:`OUTCOME_COLUMNS` (``ok`` boolean).

    >>> outcome_frame([{"action": "cancel", "orderId": "1", "ok": True}]).loc[0, "code"]
    ''
    """
    df = pd.DataFrame(
        [{c: row.get(c, "") for c in OUTCOME_COLUMNS} for row in rows],
        columns=list(OUTCOME_COLUMNS),
    )
    df["ok"] = df["ok"].astype(bool)
    return df


def batch_outcomes(action: str, frame: pd.DataFrame, **context: Any) -> list[dict[str, Any]]:
    """The rows of a client batch result frame (orderId, clientOid, code, msg, ok) as
    outcomes."""
    rows = []
    for _, item in frame.iterrows():
        code = "" if pd.isna(item.get("code")) else str(item.get("code") or "")
        message = "" if pd.isna(item.get("msg")) else str(item.get("msg") or "")
        rows.append(
            {
                "action": action,
                **context,
                "orderId": str(item.get("orderId") or ""),
                "clientOid": str(item.get("clientOid") or ""),
                "ok": bool(item["ok"]),
                "code": code,
                "message": message,
            }
        )
    if not rows and frame.attrs.get("reconciled"):
        # the answer was lost; the client settled it by reading the state: done, rows unknown
        message = "done (answer lost; checked on the exchange)"
        rows.append({"action": action, **context, "orderId": "", "clientOid": "", "ok": True,
                     "code": "", "message": message})  # fmt: skip
    return rows


def error_outcome(action: str, exc: BitgetError, **context: Any) -> dict[str, Any]:
    """One failed write as an outcome row: code, message and what to do."""
    info = explain(exc)
    return {
        "action": action,
        **context,
        "ok": False,
        "code": str(info["code"]),
        "message": f"{info['message']} — {info['action']}",
    }


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "?"
    return format(value, ".10g") if isinstance(value, float) else str(value)


class OrdersView(Panel):
    """Open orders (``get_unfilled_orders``) and positions (``get_current_position``) with
    refresh, and cancel (``cancel_order``) / close (``close_all_positions``) of the selected
    rows behind Review → Confirm.

    ``orders`` and ``positions`` hold the last frames read; ``order_select`` /
    ``position_select`` are the selections; :meth:`review_cancel`, :meth:`review_close` and
    :meth:`confirm` mirror the buttons; ``result`` is the outcome frame of the last Confirm.

    ``stream``: a :class:`~bitget_nb.stream.Stream` of the same account to follow (``order``
    and ``position`` are subscribed on it); by default the newest stream the client has open
    when the view is made, if any; ``False`` never follows one. The view redraws on the
    stream's pushes, with no polling, and leaves the stream open when it closes.
    """

    def __init__(
        self,
        client: BitgetClient,
        /,
        *,
        category: str = "SPOT",
        position_category: str = "USDT-FUTURES",
        stream: Stream | Literal[False] | None = None,
    ) -> None:
        super().__init__(client)
        if stream is None:
            stream = client._open_stream()
        #: the stream followed, or ``None``
        self.stream: Stream | None = stream or None
        self._ui = UiLoop()
        self._live = {
            "orders": Coalesced(self._ui, lambda: self._pushed("orders")),
            "positions": Coalesced(self._ui, lambda: self._pushed("positions")),
        }
        self._removers: list[Any] = []
        self.orders = pd.DataFrame(columns=list(_ORDER_COLUMNS))
        self.positions = pd.DataFrame(columns=list(_POSITION_COLUMNS))
        #: The outcome frame of the last Confirm (:data:`OUTCOME_COLUMNS`), or ``None``.
        self.result: pd.DataFrame | None = None
        self._order_rows: dict[str, Mapping[str, Any]] = {}
        self._position_rows: dict[str, Mapping[str, Any]] = {}
        self._updating = False

        wide = {"description_width": "initial"}  # the whole label: "positions of"
        self.order_category = w.Dropdown(
            options=CATEGORIES, value=category.upper(), description="orders of", style=wide
        )
        self.position_category = w.Dropdown(
            options=FUTURES_CATEGORIES,
            value=position_category.upper(),
            description="positions of",
            style=wide,
        )
        self.refresh_button = styled_button("Refresh", "bgnb-refresh", tooltip="read again")
        self._orders_html = w.HTML()
        self._orders_html.add_class("bgnb-orders")
        self._positions_html = w.HTML()
        self._positions_html.add_class("bgnb-positions")
        self.order_select = w.SelectMultiple(
            options=[], description="select", layout=w.Layout(width="95%")
        )
        self.order_select.add_class("bgnb-order-select")
        self.position_select = w.SelectMultiple(
            options=[], description="select", layout=w.Layout(width="95%")
        )
        self.position_select.add_class("bgnb-position-select")
        self.cancel_button = styled_button(
            "Review cancel of selected", "bgnb-review-cancel", style="warning"
        )
        self.close_button = styled_button(
            "Review close of selected", "bgnb-review-close", style="warning"
        )
        self._plan_html = w.HTML()
        self._plan_html.add_class("bgnb-plan")
        self.confirm_button = styled_button(
            f"Confirm → {client.env.upper()}",
            "bgnb-confirm",
            style="danger" if client.env == "live" else "success",
        )
        self.confirm_button.disabled = True
        self._result_html = w.HTML()
        self._result_html.add_class("bgnb-result")

        self.refresh_button.on_click(lambda b: self._clicked(b, self.refresh))
        self.cancel_button.on_click(lambda b: self._clicked(b, self.review_cancel))
        self.close_button.on_click(lambda b: self._clicked(b, self.review_close))
        self.confirm_button.on_click(lambda b: self._clicked(b, self.confirm))
        for control in (self.order_select, self.position_select):
            control.observe(self._on_select, names="value")
        self.order_category.observe(lambda _c: self._safely(self._switched, "orders"), "value")
        self.position_category.observe(
            lambda _c: self._safely(self._switched, "positions"), "value"
        )

        self.children = [
            w.HBox(
                [
                    w.HTML("<b>Orders &amp; positions</b>&nbsp;"),
                    w.HTML(self._badge()),
                    self.refresh_button,
                ]
            ),
            w.HBox([self.order_category]),
            self._orders_html,
            self.order_select,
            w.HBox([self.cancel_button]),
            w.HBox([self.position_category]),
            self._positions_html,
            self.position_select,
            w.HBox([self.close_button]),
            self._plan_html,
            w.HBox([self.confirm_button]),
            self._status,
            self._result_html,
        ]
        self.add_class("bgnb-orders-view")
        self.refresh()
        listen_for_writes(self)
        if self.stream is not None:
            self._follow(self.stream)

    def _follow(self, stream: Stream) -> None:
        for topic, what in (("order", "orders"), ("position", "positions")):
            self._removers.append(stream.on(topic, self._hearer(self._live[what])))
        try:
            stream.subscribe("order")
            stream.subscribe("position")
        except BitgetError as exc:
            self._say(f"not following the stream: {exc}", "error")
            remove_all(self._removers)

    @staticmethod
    def _hearer(updates: Coalesced) -> Callable[[dict[str, Any]], None]:
        """A stream callback (on the stream's thread) that asks ``updates`` for a redraw."""
        return lambda _push: updates.request()

    def _pushed(self, what: str) -> None:
        """On the view's loop, after a push: redraw ``what``; a review stays while every row
        it acts on is still listed."""
        assert self.stream is not None  # only its callbacks call this
        if what == "orders":
            category, df, show = self.order_category.value, self.stream.orders, self._show_orders
        else:
            category, df = self.position_category.value, self.stream.positions
            show = self._show_positions
        show(df[df["category"] == category].reset_index(drop=True), category)
        plan = self._gate.plan
        if plan is not None and not self._listed(plan):
            self._discard()

    async def until(self, predicate: Callable[[OrdersView], bool], timeout: float = 10.0) -> bool:
        """``await view.until(lambda v: ..., timeout)`` in a cell: wait until
        ``predicate(view)`` holds, letting the kernel's loop redraw the view meanwhile; the
        last result."""
        return await until(lambda: predicate(self), timeout)

    def close(self) -> None:
        """Stop following the stream (it stays open) and close the widget."""
        for updates in getattr(self, "_live", {}).values():
            updates.stop()
        remove_all(getattr(self, "_removers", []))
        super().close()

    # -- reading -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the open orders and positions again (discards a pending review)."""
        self._reload("orders")
        self._reload("positions")

    def _reload(self, what: str) -> None:
        self._discard()
        self._read(what)

    def _switched(self, what: str) -> None:
        self._say("")  # what the status said was about the other category
        self._reload(what)

    def _written_elsewhere(self, what: str) -> None:
        """Read again after ``what`` was confirmed in another widget on this client; a review
        stays while every row it acts on is still listed."""
        plan = self._gate.plan
        self._read("orders")
        self._read("positions")
        if plan is not None and not self._listed(plan):
            self._discard()
        self._say(f"read again after {what}", "info")

    def _listed(self, plan: Plan) -> bool:
        if plan.kind == "cancel":
            return all(str(item["orderId"]) in self._order_rows for item in plan.items)
        keys = (f"{item.get('symbol')}:{item.get('posSide')}" for item in plan.items)
        return all(key in self._position_rows for key in keys)

    def _read(self, what: str) -> None:
        assert self._client is not None
        if what == "orders":
            category = self.order_category.value
            try:
                df = self._client.get_unfilled_orders(category=category)
            except BitgetError as exc:
                self.orders = pd.DataFrame(columns=list(_ORDER_COLUMNS))
                self._orders_html.value = error_html(explain(exc), "Open orders unavailable")
                self._set_options(self.order_select, {}, self._order_rows)
                return
            self._show_orders(df, category)
        else:
            category = self.position_category.value
            try:
                df = self._client.get_current_position(category=category)
            except BitgetError as exc:
                self.positions = pd.DataFrame(columns=list(_POSITION_COLUMNS))
                self._positions_html.value = error_html(explain(exc), "Positions unavailable")
                self._set_options(self.position_select, {}, self._position_rows)
                return
            self._show_positions(df, category)

    def _show_positions(self, df: pd.DataFrame, category: str) -> None:
        self._positions_html.value = frame_html(
            df, _POSITION_COLUMNS, empty=f"no {category} positions"
        )
        rows: dict[str, Mapping[str, Any]] = {
            f"{r.get('symbol')}:{r.get('posSide')}": r for r in _records(df)
        }
        self._set_options(self.position_select, rows, self._position_rows)
        self.positions = df  # last: whoever sees the new frame sees it drawn

    def _show_orders(self, df: pd.DataFrame, category: str) -> None:
        self._orders_html.value = frame_html(df, _ORDER_COLUMNS, empty=f"no open {category} orders")
        rows: dict[str, Mapping[str, Any]] = {str(r["orderId"]): r for r in _records(df)}
        self._set_options(self.order_select, rows, self._order_rows)
        self.orders = df  # last: whoever sees the new frame sees it drawn

    def _set_options(
        self,
        control: w.SelectMultiple,
        rows: dict[str, Mapping[str, Any]],
        store: dict[str, Mapping[str, Any]],
    ) -> None:
        kept = tuple(v for v in control.value if v in rows)
        store.clear()
        store.update(rows)
        label = _order_label if control is self.order_select else _position_label
        self._updating = True
        try:
            # Unselect first: the browser applies the new option labels before the new
            # selection, and a selected index past the end of them fails there ("Cannot set
            # properties of undefined (setting 'selected')").
            control.value = ()
            control.options = [(label(row), key) for key, row in rows.items()]
            control.value = kept
        finally:
            self._updating = False
        self._sync_buttons()

    # -- review / confirm ----------------------------------------------------------------------
    def review_cancel(self, order_ids: Iterable[str] | None = None) -> Plan:
        """Review cancelling the selected open orders (or ``order_ids``, which selects them)."""
        if order_ids is not None:
            self.order_select.value = tuple(str(i) for i in order_ids)
        items = tuple(self._order_rows[key] for key in self.order_select.value)
        return self._freeze(Plan("cancel", items))

    def review_close(self, keys: Iterable[str] | None = None) -> Plan:
        """Review closing the selected positions (or ``keys`` — ``"SYMBOL:posSide"`` — which
        selects them), each with ``close_all_positions(category, symbol, posSide)``."""
        if keys is not None:
            self.position_select.value = tuple(keys)
        items = tuple(self._position_rows[key] for key in self.position_select.value)
        return self._freeze(Plan("close", items))

    def confirm(self) -> pd.DataFrame:
        """Carry out the reviewed cancel / close, once; returns the outcome frame (also in
        ``result``) and reads the orders and positions again."""
        plan = self._gate.take()
        if plan is None:
            reason = (
                "a request is in flight: wait for its result"
                if self._gate.in_flight
                else "nothing reviewed to confirm: select rows and click Review first"
            )
            raise self._refuse(ValidationError(reason))
        self._sync_buttons()
        self._say(
            f"sending {plan.kind} of {len(plan.items)} to {(self.env or 'no client').upper()}…"
        )
        try:
            rows = [row for item in plan.items for row in self._run(plan.kind, item)]
        finally:
            self._gate.release()
        self.result = outcome_frame(rows)
        failed = int((~self.result["ok"]).sum())
        self._result_html.value = frame_html(self.result, OUTCOME_COLUMNS, empty="nothing done")
        self._plan_html.value = ""
        self._reload("orders")
        self._reload("positions")
        self._say(
            f"{plan.kind}: {len(rows) - failed} ok, {failed} failed", "error" if failed else "ok"
        )
        announce_write(self, f"the {plan.kind} from an orders view")
        return self.result

    def _run(self, kind: str, item: Mapping[str, Any]) -> list[dict[str, Any]]:
        assert self._client is not None
        context = {"category": str(item.get("category") or ""), "symbol": str(item["symbol"])}
        try:
            if kind == "cancel":
                ack = self._client.cancel_order({"orderId": str(item["orderId"]), **context})
                return [
                    {
                        "action": "cancel",
                        **context,
                        "orderId": str(ack["orderId"]),
                        "clientOid": str(ack["clientOid"]),
                        "ok": True,
                    }
                ]
            params = dict(context)
            if item.get("holdMode") == "hedge_mode" and item.get("posSide"):
                params["posSide"] = str(item["posSide"])  # one side of a hedged symbol
            frame = self._client.close_all_positions(params)
            return batch_outcomes("close", frame, **context)
        except BitgetError as exc:
            ids = (
                {
                    "orderId": str(item.get("orderId") or ""),
                    "clientOid": str(item.get("clientOid") or ""),
                }
                if kind == "cancel"
                else {}
            )
            return [error_outcome(kind, exc, **context, **ids)]

    def _freeze(self, plan: Plan) -> Plan:
        if not plan.items:
            raise self._refuse(ValidationError(f"select the rows to {plan.kind} first"))
        if not self._gate.freeze(plan):
            raise self._refuse(ValidationError("a request is in flight: wait for its result"))
        label = _order_label if plan.kind == "cancel" else _position_label
        lines = "".join(f"<li>{esc(label(item))}</li>" for item in plan.items)
        verb = "Cancel these orders" if plan.kind == "cancel" else "Close these positions"
        self._plan_html.value = (
            '<div style="border:1px solid #ccc;border-radius:4px;padding:6px">'
            f'{self._badge()} <b style="color:#1565c0">REVIEWED</b> — {verb}:'
            f"<ul>{lines}</ul></div>"
        )
        self._sync_buttons()
        self._say(
            f"reviewed: Confirm sends the {plan.kind} to {(self.env or 'no client').upper()}", "ok"
        )
        return plan

    def _discard(self) -> None:
        if self._gate.discard():
            self._plan_html.value = message_html(
                "the selection changed after Review: the review is discarded", "warn"
            )
        self._sync_buttons()

    def _on_select(self, _change: Mapping[str, Any]) -> None:
        if not self._updating:
            self._say("")  # what the status said was about the rows selected before
            self._discard()

    def _sync_buttons(self) -> None:
        busy = self._gate.in_flight
        self.confirm_button.disabled = busy or self._gate.plan is None
        self.cancel_button.disabled = busy or not self.order_select.value
        self.close_button.disabled = busy or not self.position_select.value

    def __repr__(self) -> str:
        env = self.env or "no client"
        return (
            f"OrdersView({env}, {len(self.orders)} open {self.order_category.value} "
            f"order(s), {len(self.positions)} {self.position_category.value} "
            "position(s))"
        )


def _order_label(row: Mapping[str, Any]) -> str:
    price = f" @ {_num(row.get('price'))}" if row.get("orderType") == "limit" else ""
    return (
        f"{row.get('symbol')} {row.get('side')} {row.get('orderType')} "
        f"{_num(row.get('qty'))}{price} · {row.get('clientOid')} · {row.get('orderId')}"
    )


def _position_label(row: Mapping[str, Any]) -> str:
    return (
        f"{row.get('symbol')} {row.get('posSide')} {_num(row.get('total'))} @ "
        f"{_num(row.get('avgPrice'))} · uPnL {_num(row.get('unrealisedPnl'))}"
    )


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as dicts keyed by column name."""
    return [{str(k): v for k, v in row.items()} for row in df.to_dict("records")]
