"""ipywidgets for trading from a notebook: the order ticket and its companions.

ipywidgets is imported here only, so ``import bitget_nb`` stays light; ``bg.OrderForm`` and
the others load this package on first use.

* :class:`OrderForm` — build a ``PlaceOrderRequestV3``, review the exact payload, confirm once;
* :class:`OrdersView` — open orders and positions, cancel / close the selected rows;
* :class:`PriceLadder` — a live ticker and book levels from a stream; a click fills a form's price;
* :class:`KillSwitch` — cancel every order and close every position of a category;
* :class:`DeadMansSwitchToggle` — arm / disarm the exchange's countdown-cancel-all heartbeat.

Every write goes through Review → Confirm, and every widget writes its output through trait
values (``HTML.value``), so they behave the same in pytest, nbval, Voila and JupyterLab.
"""

from __future__ import annotations

from .dms import DeadMansSwitchToggle
from .kill_switch import KillSwitch
from .order_form import OrderForm
from .orders_view import OrdersView
from .price_ladder import PriceLadder

__all__ = ["DeadMansSwitchToggle", "KillSwitch", "OrderForm", "OrdersView", "PriceLadder"]
