"""The endpoint table is consistent: one row per endpoint, every row complete."""

from __future__ import annotations

from bitget_nb import frames
from bitget_nb.endpoints import BY_ROUTE, ENDPOINTS, Shape


def test_names_and_routes_are_unique():
    assert len(ENDPOINTS) == len(BY_ROUTE)
    assert len({e.path for e in ENDPOINTS.values()}) == len(ENDPOINTS)


#: The classic V2 rows: public, and called by clients of a UTA account (spec §4.5.1, §10.3).
CLASSIC_PUBLIC = {"/api/v2/public/time", "/api/v2/spot/public/coins"}


def test_every_row_has_a_shape_a_positive_rate_and_a_v3_path_but_two_classic_public_ones():
    for ep in ENDPOINTS.values():
        assert isinstance(ep.shape, Shape)
        assert ep.rate_limit > 0
        assert ep.method in {"GET", "POST"}
        assert ep.path.startswith("/api/v3/") or ep.path in CLASSIC_PUBLIC
        assert ep.summary
    assert all(not ENDPOINTS[n].private for n in ENDPOINTS if ENDPOINTS[n].path in CLASSIC_PUBLIC)


def test_writes_are_signed_posts_and_reads_are_gets():
    for ep in ENDPOINTS.values():
        assert ep.write == (ep.method == "POST")
        if ep.write:
            assert ep.private and ep.trade_permission


def test_public_endpoints_are_exactly_the_market_data_and_time():
    public = {e.path for e in ENDPOINTS.values() if not e.private}
    assert all(
        p.startswith(("/api/v3/market/", "/api/v3/public/")) for p in public - CLASSIC_PUBLIC
    )


def test_record_shapes_name_a_declared_schema():
    for ep in ENDPOINTS.values():
        if ep.shape in {Shape.LIST, Shape.PAGE, Shape.ITEMS, Shape.OBJECT}:
            assert ep.schema in frames.SCHEMAS, ep.name


def test_batch_bodies_are_the_three_batch_endpoints():
    batch = {e.name for e in ENDPOINTS.values() if e.batch_body}
    assert batch == {"place_batch_orders", "batch_modify_orders", "cancel_batch_orders"}


def test_rate_limits_follow_spec_section_3():
    assert ENDPOINTS["submit_new_order"].rate_limit == 10
    assert ENDPOINTS["countdown_cancel_all"].rate_limit == 1
    assert ENDPOINTS["get_account_info"].rate_limit == 5
    assert ENDPOINTS["get_fee_rate"].rate_limit == 3
    assert ENDPOINTS["get_tickers"].scope == "ip"
    assert ENDPOINTS["get_balances"].scope == "uid"
