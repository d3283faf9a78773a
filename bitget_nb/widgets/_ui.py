"""Shared pieces of the widgets: the environment badge, error explanations, HTML tables, the
review → confirm gate that lets one reviewed write go out at most once, and the word a widget
passes to the others on its client after a write (so an ``OrdersView`` reads again when an
``OrderForm`` on the same client has placed an order).

Everything here writes through trait values (``HTML.value``), never ``print`` or ``with out:``,
so the widgets behave the same in pytest, nbval, Voila and JupyterLab.

>>> gate = Gate()
>>> gate.freeze("plan"), gate.take(), gate.take()
(True, 'plan', None)
>>> gate.release(); gate.in_flight
False
"""

from __future__ import annotations

import html
import logging
import re
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..errors import (
    AuthenticationError,
    BitgetAPIError,
    BitgetError,
    ConfigurationError,
    DuplicateClientOidError,
    InsufficientBalanceError,
    OrderNotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    PositionError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
    spec_for,
)

if TYPE_CHECKING:
    import pandas as pd

    from ..client import BitgetClient

__all__ = [
    "Gate",
    "Panel",
    "account_id",
    "announce_write",
    "badge_html",
    "descendants",
    "error_html",
    "esc",
    "explain",
    "frame_html",
    "listen_for_writes",
    "message_html",
    "styled_button",
]

logger = logging.getLogger(__name__)

#: env → (label colour, background). LIVE is red: real money.
_BADGE_COLOURS = {
    "local": ("#ffffff", "#2e7d32"),
    "demo": ("#ffffff", "#ef6c00"),
    "live": ("#ffffff", "#c62828"),
}
_CUSTOM_COLOURS = ("#ffffff", "#6a1b9a")
#: level → colour of a message line.
_LEVELS = {"error": "#c62828", "warn": "#ef6c00", "ok": "#2e7d32", "info": "#555555"}


def esc(value: Any) -> str:
    """HTML-escaped ``str(value)``.

    >>> esc("<b>")
    '&lt;b&gt;'
    """
    return html.escape(str(value), quote=True)


def account_id(client: BitgetClient) -> str | None:
    """The account's uid (``get_account_info``: ``uid``, else ``userId``), or ``None`` when it
    cannot be read (no key, no connection)."""
    try:
        data = client.get_account_info(raw=True).get("data") or {}
    except BitgetError as exc:
        logger.debug("account id unavailable: %s", exc)
        return None
    value = data.get("uid") or data.get("userId")
    return str(value) if value else None


def badge_html(env: str | None, account: str | None = None) -> str:
    """The environment as a coloured badge: LOCAL, DEMO, or LIVE in red, with the account id.

    >>> "LIVE" in badge_html("live", "123") and "#c62828" in badge_html("live", "123")
    True
    """
    name = (env or "none").lower()
    fg, bg = _BADGE_COLOURS.get(name, _CUSTOM_COLOURS)
    label = "NO CLIENT" if env is None else name.upper()
    who = f" · account {esc(account)}" if account else ""
    weight = "800" if name == "live" else "600"
    return (
        f'<span class="bgnb-badge bgnb-env-{esc(name)}" style="display:inline-block;'
        f"padding:2px 8px;border-radius:4px;background:{bg};color:{fg};"
        f'font-weight:{weight};font-family:sans-serif;font-size:12px">{esc(label)}{who}</span>'
    )


def message_html(text: str, level: str = "info") -> str:
    """One short message line in the colour of ``level`` (error, warn, ok, info); empty text
    gives an empty string."""
    if not text:
        return ""
    colour = _LEVELS.get(level, _LEVELS["info"])
    return f'<span style="color:{colour};font-size:12px">{esc(text)}</span>'


def explain(exc: BaseException) -> dict[str, Any]:
    """``{"code", "message", "action"}`` for an error: what happened and what to do.

    >>> explain(ValidationError("qty: required", field="qty"))["action"]
    'fix qty and review again; nothing was sent'
    """
    code: str | None = getattr(exc, "code", None)
    message = getattr(exc, "msg", None) or str(exc)
    oid = getattr(exc, "client_oid", None)
    if isinstance(exc, ValidationError):
        where = exc.field or "the order"
        return {
            "code": "local",
            "message": str(exc),
            "action": f"fix {where} and review again; nothing was sent",
        }
    if isinstance(exc, ConfigurationError):
        return {
            "code": "config",
            "message": str(exc),
            "action": "fix the client's settings; nothing was sent",
        }
    if isinstance(exc, OutcomeUnknownError):
        target = f"clientOid={oid!r}" if oid else "its clientOid"
        action = (
            f"the write may or may not have happened: look it up with "
            f"client.get_order_info({target}) before sending it again"
        )
    elif isinstance(exc, TransportError):
        action = (
            "the exchange could not be reached or did not answer; check the connection, and "
            "look the order up by its clientOid before sending it again"
        )
        code = "transport"
    elif isinstance(exc, InsufficientBalanceError):
        action = "reduce qty or price, or add funds, then review again"
    elif isinstance(exc, DuplicateClientOidError):
        action = "an open order already uses this clientOid: choose a new clientOid"
    elif isinstance(exc, RateLimitError):
        action = "too many requests: wait a moment, then review and confirm again"
    elif isinstance(exc, PermissionDeniedError):
        action = "this API key may not trade: use a read-write key"
    elif isinstance(exc, AuthenticationError):
        action = "check the API key, secret and passphrase (BITGET_API_KEY/SECRET/PASS)"
    elif isinstance(exc, OrderNotFoundError):
        action = "the order is no longer open: refresh the view"
    elif isinstance(exc, PositionError):
        action = "the position does not allow this: refresh the view and check it"
    elif isinstance(exc, ServerError):
        action = "the exchange failed on its side: try again later"
    else:
        hint = spec_for(code).hint if code is not None else ""
        action = hint or "fix what the message names and review again"
    if isinstance(exc, BitgetAPIError) and exc.http_status == 404 and code == "40404":
        action = "this endpoint is not available on this exchange"
    return {"code": code or "-", "message": message, "action": action}


def error_html(info: Mapping[str, Any], title: str = "Refused") -> str:
    """An error explanation box (code, message, what to do)."""
    return (
        '<div class="bgnb-error" style="border-left:4px solid #c62828;padding:4px 8px;'
        f'font-size:13px"><b>{esc(title)}</b> · code <code>{esc(info.get("code"))}</code><br>'
        f"{esc(info.get('message'))}<br><i>What to do:</i> {esc(info.get('action'))}</div>"
    )


def frame_html(df: pd.DataFrame, columns: Iterable[str], *, empty: str) -> str:
    """A small HTML table of ``columns`` of ``df`` (escaped); ``empty`` when there are no rows."""
    if df is None or len(df) == 0:
        return f'<div style="color:#555;font-size:12px">{esc(empty)}</div>'
    cols = [c for c in columns if c in df.columns]
    head = "".join(f'<th style="text-align:left;padding:2px 6px">{esc(c)}</th>' for c in cols)
    rows = []
    for _, row in df[cols].iterrows():
        cells = "".join(f'<td style="padding:2px 6px">{esc(_cell(row[c]))}</td>' for c in cols)
        rows.append(f"<tr>{cells}</tr>")
    return (
        '<table class="bgnb-table" style="border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return format(value, ".10g")
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def styled_button(description: str, css: str, *, style: str = "", tooltip: str = "") -> w.Button:
    """A button with a stable CSS class (for browser tests and styling)."""
    button = w.Button(description=description, button_style=style, tooltip=tooltip)
    # the whole label, never "round to st…": as wide as it, and not squeezed by its row
    button.layout.width = "auto"
    button.layout.flex = "0 0 auto"
    button.add_class(css)
    return button


class Gate:
    """Review → confirm: holds the one reviewed plan, hands it out once, and says whether a
    write is in flight. Thread-safe, so a double click (or two threads) sends at most once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plan: Any = None
        self._in_flight = False

    @property
    def plan(self) -> Any:
        """The reviewed plan waiting for confirmation, or ``None``."""
        return self._plan

    @property
    def in_flight(self) -> bool:
        return self._in_flight

    def freeze(self, plan: Any) -> bool:
        """Hold ``plan`` for confirmation (refused while a write is in flight)."""
        with self._lock:
            if self._in_flight:
                return False
            self._plan = plan
            return True

    def discard(self) -> bool:
        """Drop the reviewed plan; whether there was one."""
        with self._lock:
            had, self._plan = self._plan is not None, None
            return had

    def take(self) -> Any:
        """The reviewed plan, exactly once, marking a write in flight; ``None`` when there is
        nothing reviewed or a write is already in flight."""
        with self._lock:
            if self._in_flight or self._plan is None:
                return None
            plan, self._plan = self._plan, None
            self._in_flight = True
            return plan

    def release(self) -> None:
        """The write in flight has finished."""
        with self._lock:
            self._in_flight = False


def descendants(widget: w.Widget) -> list[w.Widget]:
    """Every widget inside ``widget`` (children, recursively)."""
    out: list[w.Widget] = []
    for child in getattr(widget, "children", ()):
        out += [child, *descendants(child)]
    return out


#: The widgets that show what a client's account holds, by client. Widgets made one by one in
#: a notebook know nothing of each other; this is how a confirm in one reaches the others on
#: the same client. Weak on both sides: a dropped client or widget leaves nothing behind.
_listeners: weakref.WeakKeyDictionary[Any, weakref.WeakSet[Panel]] = weakref.WeakKeyDictionary()
_listeners_lock = threading.Lock()


def listen_for_writes(panel: Panel) -> None:
    """Have ``panel._written_elsewhere(what)`` called after each write another widget on the
    same client confirms (until the panel is closed)."""
    if panel.client is not None:
        with _listeners_lock:
            _listeners.setdefault(panel.client, weakref.WeakSet()).add(panel)


def announce_write(source: Panel, what: str) -> None:
    """Tell the other widgets listening on ``source``'s client that ``what`` was written."""
    if source.client is None:
        return
    with _listeners_lock:
        panels = [p for p in _listeners.get(source.client, ()) if p is not source]
    for panel in panels:
        panel._safely(panel._written_elsewhere, what)


class Panel(w.VBox):
    """Base of the widgets: a status line, button handlers that never raise into the
    kernel, and :meth:`close` that closes everything inside."""

    def __init__(self, client: BitgetClient | None) -> None:
        super().__init__()
        self._client = client
        self._gate = Gate()
        self._status = w.HTML()
        self._status.add_class("bgnb-status")
        self.account = account_id(client) if client is not None else None

    @property
    def client(self) -> BitgetClient | None:
        return self._client

    @property
    def env(self) -> str | None:
        """The client's environment (``local``, ``demo``, ``live``…), ``None`` without one."""
        return self._client.env if self._client is not None else None

    @property
    def status(self) -> str:
        """The status line as plain text (what the user reads under the buttons)."""
        return html.unescape(_TAGS.sub("", self._status.value.replace("<br>", "\n")))

    def _badge(self) -> str:
        return badge_html(self.env, self.account)

    def _say(self, text: str, level: str = "info") -> None:
        self._status.value = message_html(text, level)

    def _clicked(self, button: w.Button, action: Any, *args: Any) -> None:
        # A disabled button does nothing in a browser; `.click()` from Python does the same.
        if not button.disabled:
            self._safely(action, *args)

    def _safely(self, action: Any, *args: Any) -> None:
        """Run a button's action; show what went wrong instead of raising into the kernel."""
        try:
            action(*args)
        except BitgetError:
            pass  # the action has shown it already
        except Exception as exc:
            logger.debug("%s action failed", type(self).__name__, exc_info=True)
            self._say(f"{type(exc).__name__}: {exc}", "error")

    def _refuse(self, exc: BitgetError) -> BitgetError:
        """Show ``exc`` on the status line and return it, for ``raise self._refuse(...)``."""
        self._say(str(exc), "error")
        return exc

    def _written_elsewhere(self, what: str) -> None:
        """Another widget on this client confirmed a write (see :func:`listen_for_writes`)."""

    def close(self) -> None:
        """Close this widget and every widget inside it."""
        client = getattr(self, "_client", None)  # None too when __init__ failed early
        if client is not None:
            with _listeners_lock:
                listening = _listeners.get(client)
                if listening is not None:
                    listening.discard(self)
        for widget in descendants(self):
            widget.close()
        super().close()


_TAGS = re.compile(r"<[^>]+>")
