"""Every public method shows its real signature — to ``inspect``, IPython and static tools —
and it is its endpoint row's, declared once in the table (and, for orders, in the models)."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import pydoc
import textwrap
from pathlib import Path

import jedi
import pytest
from IPython.core.oinspect import Inspector
from mypy import api as mypy_api

import bitget_nb as bg
from bitget_nb import _api, _signatures
from bitget_nb._signatures import REQUIRED
from bitget_nb.endpoints import ENDPOINTS

ROOT = Path(__file__).resolve().parents[1]
#: Keyword options that are not wire fields.
OPTIONS = {"raw", "progress", "max_rows", "price_rounding", "qty_rounding"}


def _rows_and_aliases():
    for ep in ENDPOINTS.values():
        yield ep.name, ep
        for alias in ep.aliases:
            yield alias, ep


@pytest.mark.parametrize(
    ("name", "ep"), list(_rows_and_aliases()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_endpoint_method_takes_its_rows_fields_as_keywords_required_ones_marked(name, ep):
    sig = inspect.signature(getattr(bg.BitgetClient, name))
    params = list(sig.parameters.values())
    assert params[0].name == "self"
    assert params[1].kind is inspect.Parameter.POSITIONAL_ONLY
    keywords = [p for p in params[2:] if p.name not in OPTIONS]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[2:])
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
    assert "raw" in sig.parameters
    if ep.batch_body:  # a batch takes its fields per item, in the positional list
        assert keywords == [] and params[1].default is inspect.Parameter.empty
        return
    assert [p.name for p in keywords] == [p.name for p in ep.params]
    for declared, shown in zip(ep.params, keywords, strict=True):
        assert (shown.default is REQUIRED) == declared.required, declared.name
        if not declared.required:
            assert shown.default is None
    paged = ep.shape.value in ("page", "numbered_pages")
    assert paged == ({"progress", "max_rows"} <= set(sig.parameters))


def test_the_order_methods_take_exactly_the_request_models_fields():
    for name, model in (("submit_new_order", bg.PlaceOrderRequestV3),
                        ("round_order", bg.PlaceOrderRequestV3),
                        ("submit_strategy_order", bg.StrategyOrderRequestV3)):  # fmt: skip
        sig = inspect.signature(getattr(bg.BitgetClient, name))
        shown = [p for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
        fields = [f.name for f in dataclasses.fields(model)]
        assert [p.name for p in shown if p.name not in OPTIONS] == fields
        required = {p.name for p in shown if p.default is REQUIRED}
        assert required == set(model.REQUIRED)


def test_docstrings_name_every_field_with_its_allowed_values_limits_and_route():
    for spec in _api.METHODS:
        doc = getattr(bg.BitgetClient, spec.name).__doc__
        for param in spec.params:
            assert f"{param.name} : " in doc, (spec.name, param.name)
            for value in param.choices:
                assert value in doc, (spec.name, param.name, value)
        if spec.target in ENDPOINTS:
            assert ENDPOINTS[spec.target].path in doc
    candles = bg.BitgetClient.get_candles.__doc__
    assert "interval : str, required" in candles
    assert "1–1000 (default 100)" in candles and "ISO 8601" in candles


def test_help_and_ipython_shift_tab_show_the_fields(client):
    shift_tab = Inspector(theme_name="nocolor").info(client.get_candles)
    assert "startTime" in shift_tab["definition"] and "interval" in shift_tab["definition"]
    assert "<required>" in shift_tab["definition"]
    assert "candle length" in shift_tab["docstring"]
    shown = pydoc.render_doc(client.get_candles, renderer=pydoc.plaintext)
    assert "interval: Union[Literal['1m'" in shown and "limit : int, optional" in shown


def test_keyword_completion_offers_the_wire_fields(client):
    script = jedi.Interpreter("client.get_candles(start", [{"client": client}])
    assert "startTime=" in {c.name_with_symbols for c in script.complete()}
    script = jedi.Interpreter("client.submit_new_order(time", [{"client": client}])
    assert "timeInForce=" in {c.name_with_symbols for c in script.complete()}


def test_the_stub_for_static_tools_is_the_rendering_of_the_current_table():
    assert _signatures.STUB.read_text(encoding="utf-8") == _signatures.render_stub(_api.METHODS), (
        "bitget_nb/_api.pyi is out of date with the endpoint table: run `make stubs`"
    )


def test_the_stub_declares_every_method_the_table_makes():
    tree = ast.parse(_signatures.STUB.read_text(encoding="utf-8"))
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    declared = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
    declared |= {t.id for n in cls.body if isinstance(n, ast.Assign) for t in n.targets}  # type: ignore[attr-defined]
    assert declared == {spec.name for spec in _api.METHODS}


def test_a_script_using_the_client_type_checks_clean_and_a_misspelt_field_does_not(tmp_path):
    good = tmp_path / "good.py"
    good.write_text(
        textwrap.dedent(
            """
            from datetime import UTC, datetime

            import pandas as pd

            import bitget_nb as bg

            with bg.LocalExchange(seed=7) as ex:
                client = bg.BitgetClient(**ex.credentials, base_url=ex.base_url)
                tickers: pd.DataFrame = client.get_tickers(category="SPOT")
                candles = client.get_candles(
                    category="SPOT", symbol="BTCUSDT", interval="1m",
                    startTime="2026-01-04", endTime=datetime(2026, 1, 5, tzinfo=UTC),
                )
                closes: pd.Series = candles["close"]
                envelope: dict = client.get_tickers({"category": "SPOT"}, raw=True)
                order = bg.PlaceOrderRequestV3(
                    category="SPOT", symbol="BTCUSDT", side="buy", orderType="limit",
                    qty="0.001", price="60000",
                )
                ack: pd.Series = client.submit_new_order(order)
                info = client.get_order_info(orderId=str(ack["orderId"]))
                fills = client.get_trade_fills(category="SPOT", max_rows=10)
                client.cancel_all_orders(category="SPOT")
                rounded: bg.PlaceOrderRequestV3 = client.round_order(order, qty_rounding="up")
            """
        )
    )
    bad = tmp_path / "bad.py"
    bad.write_text(
        textwrap.dedent(
            """
            import bitget_nb as bg

            client = bg.connect()
            client.get_candles(category="SPOT", symbol="BTCUSDT", interval="1m", start_time=0)
            """
        )
    )
    out, err, _ = mypy_api.run(
        ["--cache-dir", str(tmp_path / "cache"), "--no-error-summary", str(good), str(bad)]
    )
    problems = [line for line in out.splitlines() if ": error:" in line]
    assert [p for p in problems if p.startswith(str(good))] == [], out + err
    assert any('"start_time"' in p for p in problems if p.startswith(str(bad))), out + err
