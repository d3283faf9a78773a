"""``KillSwitch``: cancel every open order and close every position of a category, behind
Review → Confirm.

>>> import bitget_nb as bg
>>> with bg.LocalExchange(seed=7, start_time="2026-01-05T00:00:00Z") as ex:
...     client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
...     _ = client.submit_new_order(category="SPOT", symbol="BTCUSDT", side="buy",
...         orderType="limit", qty="0.001", price="60000", clientOid="doc-kill-1")
...     kill = KillSwitch(client, category="SPOT")
...     summary = kill.review()
...     result = kill.confirm()
...     client.close()
>>> summary["open_orders"], result[["action", "clientOid", "ok"]].to_dict("records")
(1, [{'action': 'cancel', 'clientOid': 'doc-kill-1', 'ok': True}])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import pandas as pd

from ..errors import BitgetError, ValidationError
from ..vocab import CATEGORIES, FUTURES_CATEGORIES
from ._ui import Panel, announce_write, esc, explain, frame_html, message_html, styled_button
from .orders_view import OUTCOME_COLUMNS, batch_outcomes, error_outcome, outcome_frame

if TYPE_CHECKING:
    from ..client import BitgetClient

__all__ = ["KillSwitch"]


class KillSwitch(Panel):
    """Cancel all orders (``cancel_all_orders``) and close all positions
    (``close_all_positions``, futures only) of one category.

    :meth:`review` reads what is open and freezes the plan; :meth:`confirm` carries it out
    once and returns an outcome frame (also in ``result``). Changing the category discards a
    review.
    """

    def __init__(self, client: BitgetClient, /, *, category: str = "USDT-FUTURES") -> None:
        super().__init__(client)
        #: The outcome frame of the last Confirm, or ``None``.
        self.result: pd.DataFrame | None = None
        self.category = w.Dropdown(
            options=CATEGORIES, value=category.upper(), description="category"
        )
        self.category.add_class("bgnb-kill-category")
        self.review_button = styled_button("Review kill", "bgnb-review", style="warning")
        self.confirm_button = styled_button(
            f"Confirm: cancel all + close all → {client.env.upper()}",
            "bgnb-confirm",
            style="danger",
        )
        self.confirm_button.disabled = True
        self._plan_html = w.HTML()
        self._plan_html.add_class("bgnb-plan")
        self._result_html = w.HTML()
        self._result_html.add_class("bgnb-result")
        self.review_button.on_click(lambda b: self._clicked(b, self.review))
        self.confirm_button.on_click(lambda b: self._clicked(b, self.confirm))
        self.category.observe(self._on_category, names="value")
        self.children = [
            w.HBox([w.HTML("<b>Kill switch</b>&nbsp;"), w.HTML(self._badge())]),
            self.category,
            w.HBox([self.review_button, self.confirm_button]),
            self._plan_html,
            self._status,
            self._result_html,
        ]
        self.add_class("bgnb-kill-switch")

    def review(self) -> dict[str, Any]:
        """Count what is open in the category and freeze the plan; returns the summary
        ``{"category", "open_orders", "positions"}`` (``positions`` is ``None`` for spot or
        when it cannot be read)."""
        assert self._client is not None
        if self._gate.in_flight:
            raise self._refuse(ValidationError("a request is in flight: wait for its result"))
        category = self.category.value
        notes: list[str] = []
        try:
            orders: int | None = len(self._client.get_unfilled_orders(category=category))
        except BitgetError as exc:
            orders = None
            notes.append(f"open orders could not be read: {explain(exc)['message']}")
        positions: int | None = None
        if category in FUTURES_CATEGORIES:
            try:
                positions = len(self._client.get_current_position(category=category))
            except BitgetError as exc:
                notes.append(f"positions could not be read: {explain(exc)['message']}")
        summary = {"category": category, "open_orders": orders, "positions": positions}
        self._gate.freeze(summary)
        closing = (
            f"close {'all' if positions is None else positions} position(s)"
            if category in FUTURES_CATEGORIES
            else "no positions to close (spot)"
        )
        count = "all" if orders is None else str(orders)
        notes_html = "".join(f"<br><i>{esc(n)}</i>" for n in notes)
        self._plan_html.value = (
            '<div style="border:2px solid #c62828;border-radius:4px;padding:6px">'
            f'{self._badge()} <b style="color:#c62828">REVIEWED</b> — in {esc(category)}: '
            f"cancel {esc(count)} open order(s), {esc(closing)}.{notes_html}</div>"
        )
        self._sync_buttons()
        self._say(f"reviewed: Confirm acts on {(self.env or 'no client').upper()} now", "warn")
        return summary

    def confirm(self) -> pd.DataFrame:
        """Cancel all orders and close all positions of the reviewed category, once."""
        assert self._client is not None
        plan = self._gate.take()
        if plan is None:
            reason = (
                "a request is in flight: wait for its result"
                if self._gate.in_flight
                else "nothing reviewed to confirm: click Review kill first"
            )
            raise self._refuse(ValidationError(reason))
        category = plan["category"]
        self._sync_buttons()
        self._say(f"cancelling and closing everything in {category}…", "warn")
        rows: list[dict[str, Any]] = []
        try:
            try:
                frame = self._client.cancel_all_orders(category=category)
                rows += batch_outcomes("cancel", frame, category=category)
            except BitgetError as exc:
                rows.append(error_outcome("cancel", exc, category=category))
            if category in FUTURES_CATEGORIES:
                try:
                    frame = self._client.close_all_positions(category=category)
                    rows += batch_outcomes("close", frame, category=category)
                except BitgetError as exc:
                    rows.append(error_outcome("close", exc, category=category))
        finally:
            self._gate.release()
        for row in rows:
            row.setdefault("symbol", "")
        self.result = outcome_frame(rows)
        failed = int((~self.result["ok"]).sum())
        self._plan_html.value = ""
        self._result_html.value = frame_html(self.result, OUTCOME_COLUMNS, empty="nothing was open")
        self._say(
            f"kill switch on {category}: {len(rows) - failed} ok, {failed} failed",
            "error" if failed else "ok",
        )
        self._sync_buttons()
        announce_write(self, f"the kill switch on {category}")
        return self.result

    def _on_category(self, _change: Mapping[str, Any]) -> None:
        self._say("")  # what the status said was about the other category
        if self._gate.discard():
            self._plan_html.value = message_html(
                "the category changed after Review: the review is discarded", "warn"
            )
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        busy = self._gate.in_flight
        self.review_button.disabled = busy
        self.confirm_button.disabled = busy or self._gate.plan is None

    def __repr__(self) -> str:
        state = "reviewed" if self._gate.plan is not None else "idle"
        return f"KillSwitch({self.env}, {self.category.value}, {state})"
