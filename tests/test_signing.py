"""The nine signing vectors of spec §1.9, and the query/body encoders."""

from __future__ import annotations

import pytest

from bitget_nb.signing import (
    compact_json,
    decode_query,
    encode_query,
    prehash,
    sign,
    signatures_equal,
)

SECRET = "bitget-sim-secret-0001"

# (id, timestamp, method, path, query, body, expected ACCESS-SIGN) — spec §1.9, verbatim.
VECTORS = [
    ("V1", "1700000000000", "GET", "/api/v3/trade/order-info", "orderId=1234567890", "",
     "3pSrZhyzhzFHYIvTrqezDOMoW+Ro7O0tJZ+D8w3MJOQ="),
    ("V2a", "1700000001234", "GET", "/api/v3/trade/unfilled-orders",
     "category=USDT-FUTURES&limit=20&symbol=BTCUSDT", "",
     "D09BrfXZnxmbgb7yGk67b1HhqcfGQ1c2475aT538EIY="),
    ("V2b", "1700000001234", "GET", "/api/v3/trade/unfilled-orders",
     "symbol=BTCUSDT&category=USDT-FUTURES&limit=20", "",
     "rliw10cH8hxSdHe6PCDuDC5Ww/Hor53kZo/C4HTIY20="),
    ("V3", "1700000002000", "POST", "/api/v3/trade/place-order", "",
     '{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.001","side":"buy",'
     '"orderType":"limit","price":"60000","timeInForce":"gtc","clientOid":"sim-0001"}',
     "WLIOYT6NY6PUHsgeuSh6WCqR3G0dgeMe/WJMgSSgfj8="),
    ("V4", "1700000003000", "POST", "/api/v3/trade/cancel-batch", "",
     '[{"orderId":"111","category":"USDT-FUTURES","symbol":"BTCUSDT"},'
     '{"clientOid":"sim-0002","category":"USDT-FUTURES","symbol":"BTCUSDT"}]',
     "JbyPSAEQMVx8rBcrjVJANOIeS59/3HMS82U1f3s3LZc="),
    ("V5", "1700000004000", "GET", "/api/v3/account/assets", "", "",
     "f78WXJfVmBB2IvYyZv+ML7T66CB9+zb3qUk1qbuCnb8="),
    ("V6", "1700000000", "GET", "/user/verify", "", "",
     "4fM2iA+maYAgaf6D6cB7rF/pA4Geyd0Hf49af8rHfF0="),
    ("V7a", "1700000005000", "POST", "/api/v3/trade/countdown-cancel-all", "",
     '{"countdown": "10"}', "aQ5n9GQdgnbSAbCwyFWcaVnVvLfWpreZG+9x1uJhVv8="),
    ("V7b", "1700000005000", "POST", "/api/v3/trade/countdown-cancel-all", "",
     '{"countdown":"10"}', "MPUrRTrh8qLgLDlkD3p7xBWT1kSDftrXXsJh5ssFTLc="),
]  # fmt: skip


@pytest.mark.parametrize(("vid", "ts", "method", "path", "query", "body", "expected"), VECTORS)
def test_signature_matches_spec_vector(vid, ts, method, path, query, body, expected):
    assert sign(SECRET, ts, method, path, query, body) == expected
    # bytes bodies sign the same as their text
    assert sign(SECRET, ts, method, path, query, body.encode()) == expected


def test_prehash_adds_question_mark_only_when_query_is_present():
    assert prehash("1", "get", "/p", "a=1") == b"1GET/p?a=1"
    assert prehash("1", "GET", "/p") == b"1GET/p"


def test_query_is_sorted_so_one_parameter_set_gives_one_string():
    params = {"symbol": "BTCUSDT", "category": "USDT-FUTURES", "limit": 20}
    assert encode_query(params) == "category=USDT-FUTURES&limit=20&symbol=BTCUSDT"
    # and signing that string reproduces vector V2a
    assert sign(SECRET, "1700000001234", "GET", "/api/v3/trade/unfilled-orders",
                encode_query(params)) == VECTORS[1][-1]  # fmt: skip


def test_query_drops_none_and_escapes_only_what_a_query_parser_would_misread():
    # "/" and ":" are legal in a query (RFC 3986 pchar) and go as they are (spec §10.1);
    # space, "&", "=", "+", "#", "%" and ";" would be read as structure, so they are escaped
    assert encode_query({"a": None, "b": "x y/z", "c": ""}) == "b=x%20y/z&c="
    assert encode_query({"v": "a&b=c+d#e%f;g"}) == "v=a%26b%3Dc%2Bd%23e%25f%3Bg"
    assert encode_query(None) == "" and encode_query({}) == ""


def test_every_client_oid_character_is_sent_unencoded_so_both_forms_agree():
    # every character class of the clientOid pattern (spec §5.7): . A-Z : / a-z 0-9 _ -
    query = encode_query({"clientOid": "AZ.az:09/_-", "category": "SPOT"})
    assert query == "category=SPOT&clientOid=AZ.az:09/_-"
    assert decode_query(query) == query  # whichever form a server checks, the signature holds


def test_non_ascii_values_are_sent_as_utf8_escapes_and_decoded_for_signing():
    query = encode_query({"symbol": "币USDT", "clientOid": "ccxt:1/a.b"})
    assert query == "clientOid=ccxt:1/a.b&symbol=%E5%B8%81USDT"
    assert decode_query(query) == "clientOid=ccxt:1/a.b&symbol=币USDT"


def test_decoding_reverses_encoding_for_any_value():
    value = "a b&c=d+e#f%g;h/i:j@k币"
    assert decode_query(encode_query({"v": value})) == f"v={value}"
    assert decode_query("v=a+b%20c") == "v=a b c"  # "+" is a space in a query, as ccxt sends it


def test_compact_json_reproduces_vector_v7b_body():
    assert compact_json({"countdown": "10"}) == '{"countdown":"10"}'


def test_signature_comparison_rejects_a_changed_signature():
    good = VECTORS[0][-1]
    assert signatures_equal(good, good)
    assert not signatures_equal(good, good[:-2] + "A=")
