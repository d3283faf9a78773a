"""No secret is reachable from an exception: not its message, its attributes, its
``__cause__``/``__context__`` chain, nor the frame locals that a verbose traceback prints
(``traceback.TracebackException(capture_locals=True)``, pytest ``--showlocals``, IPython's
``%xmode Verbose``).

Every failure is produced for real — a client against a real local exchange (or a real
redirecting server) on 127.0.0.1 — while a session records every ``ACCESS-SIGN`` it sent.
"""

from __future__ import annotations

import http.server
import os
import threading
import traceback
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import pytest
import requests
from IPython.core.ultratb import VerboseTB

import bitget_nb as bg
from bitget_nb.config import Secret
from bitget_nb.exchange.faults import KINDS

from ..conftest import START

KEY = "bg_0123456789abcdef0123456789abcdef"
SECRET = "s3cret-Value-9f8e7d6c5b4a"
PASSPHRASE = "pass-Phrase-1a2b3c4d"


class SpySession(requests.Session):
    """Records every signature sent, so the scan knows what to look for."""

    def __init__(self) -> None:
        super().__init__()
        self.signatures: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        signature = request.headers.get("ACCESS-SIGN")
        if signature:
            self.signatures.append(str(signature))
        return super().send(request, **kwargs)


def _walk(obj: Any, depth: int = 0, seen: set[int] | None = None) -> Iterator[str]:
    """The repr and str of ``obj`` and of everything reachable from its attributes."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 6:
        return
    seen.add(id(obj))
    try:
        yield repr(obj)
        yield str(obj)
    except Exception as exc:  # a repr that fails still shows nothing
        yield f"<{type(exc).__name__}>"
    if isinstance(obj, str | bytes | int | float | bool | type(None)):
        return
    if isinstance(obj, dict):
        children = [*obj.keys(), *obj.values()]
    elif isinstance(obj, list | tuple | set | frozenset):
        children = list(obj)
    else:
        children = [getattr(obj, name, None) for name in getattr(obj, "__dict__", {})]
        children += [getattr(obj, name, None) for name in getattr(type(obj), "__slots__", ())]
        if isinstance(obj, BaseException):
            children += [obj.__cause__, obj.__context__, *obj.args]
    for child in children:
        yield from _walk(child, depth + 1, seen)


def _library_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback from the first frame of bitget_nb on: the caller's own frames (this
    test's, a user's cell) hold what the caller passed in, which is not ours to hide."""
    while tb is not None and f"{os.sep}bitget_nb{os.sep}" not in tb.tb_frame.f_code.co_filename:
        tb = tb.tb_next
    return tb


def surfaces(exc: BaseException) -> str:
    """Everything an exception shows: attributes and chain, and two verbose tracebacks."""
    parts = list(_walk(exc))
    tb = _library_frames(exc.__traceback__)
    assert tb is not None, "the error was not raised from bitget_nb"
    parts += traceback.TracebackException(type(exc), exc, tb, capture_locals=True).format()
    parts += VerboseTB(theme_name="nocolor").structured_traceback(type(exc), exc, tb)
    return "\n".join(parts)


def assert_clean(exc: BaseException, secrets: set[str]) -> None:
    text = surfaces(exc)
    leaked = sorted(s for s in secrets if s and s in text)
    assert not leaked, f"{type(exc).__name__} shows {len(leaked)} secret(s)"
    assert "<hidden>" in text or not any("ACCESS" in p for p in text.splitlines())


@pytest.fixture
def exchange():
    with bg.LocalExchange(seed=7, start_time=START, rate_limits=False, api_key=KEY,
                          api_secret=SECRET, api_pass=PASSPHRASE) as ex:  # fmt: skip
        yield ex


def _client(exchange: bg.LocalExchange, **options: Any) -> tuple[bg.BitgetClient, SpySession]:
    session = SpySession()
    creds = exchange.credentials
    client = bg.BitgetClient(**creds, base_url=exchange.base_url, session=session,
                             sleep=lambda s: None, **options)  # fmt: skip
    return client, session


def _raised(call: Callable[[], Any]) -> BaseException:
    try:
        call()
    except bg.BitgetError as exc:
        return exc
    raise AssertionError("nothing was raised")


BID = {"category": "SPOT", "symbol": "BTCUSDT", "side": "buy", "orderType": "limit",
       "qty": "0.001", "price": "60000"}  # fmt: skip


@pytest.mark.parametrize(("when", "kind"), [(w, k) for w in KINDS for k in KINDS[w]])
def test_a_write_failing_each_way_leaves_no_secret_in_its_exception(exchange, when, kind):
    client, session = _client(exchange, timeout=(2.0, 0.3), settle_window=0.2, max_retries=0)
    # four: a certain refusal (429) is sent again, up to the writer's three re-sends
    exchange.faults.fail_next("submit_new_order", 4, when=when, kind=kind, hold_seconds=0.5,
                              retry_after=0)  # fmt: skip
    exchange.faults.fail_next("get_order_info", count=20, when="before", kind="http_503")
    exc = _raised(lambda: client.submit_new_order(BID))
    assert_clean(exc, {SECRET, PASSPHRASE, *session.signatures})
    assert exc.__context__ is None or isinstance(exc.__context__, bg.BitgetError)
    exchange.faults.clear()
    client.close()


def test_a_refused_read_and_a_refused_key_leave_no_secret(exchange):
    client, session = _client(exchange)
    refused = _raised(lambda: client.get_order_info(orderId="1"))
    wrong = bg.BitgetClient(KEY, SECRET + "x", PASSPHRASE,
                            base_url=exchange.base_url, session=session)  # fmt: skip
    auth = _raised(lambda: wrong.get_balances())
    assert isinstance(auth, bg.AuthenticationError)
    for exc in (refused, auth):
        assert_clean(exc, {SECRET, PASSPHRASE, SECRET + "x", *session.signatures})


def test_a_connection_refused_leaves_no_secret_in_the_chain():
    with bg.LocalExchange(seed=7, start_time=START) as ex:
        creds, url = ex.credentials, ex.base_url
    session = SpySession()
    client = bg.BitgetClient(**creds, base_url=url, session=session, sleep=lambda s: None,
                             max_retries=1)  # fmt: skip
    exc = _raised(lambda: client.get_balances())
    assert isinstance(exc, bg.TransportError) and exc.__context__ is None
    assert_clean(exc, {creds["api_secret"], creds["api_pass"], *session.signatures})


def test_a_constructor_error_shows_no_secret_in_its_frame_locals():
    exc = _raised(lambda: bg.BitgetClient("bg_key_0123456789", SECRET, PASSPHRASE,
                                          base_url="http://user:pw@127.0.0.1:1"))  # fmt: skip
    assert isinstance(exc, bg.ConfigurationError) and "pw" not in str(exc)
    assert_clean(exc, {SECRET, PASSPHRASE})
    partial = _raised(lambda: bg.BitgetClient("bg_key_0123456789", SECRET, None,
                                              base_url="http://127.0.0.1:1"))  # fmt: skip
    assert_clean(partial, {SECRET})


def test_connect_with_half_the_keys_in_the_environment_shows_none_of_them(monkeypatch):
    monkeypatch.setenv("BITGET_API_KEY", "bg_key_0123456789")
    monkeypatch.setenv("BITGET_API_SECRET", SECRET)
    monkeypatch.delenv("BITGET_API_PASS", raising=False)
    exc = _raised(lambda: bg.connect("demo"))
    assert isinstance(exc, bg.ConfigurationError) and "BITGET_API_PASS" in str(exc)
    assert_clean(exc, {SECRET})


def test_credentials_and_signed_headers_have_masked_reprs(exchange):
    creds = bg.Credentials("bg_key_0123456789", SECRET, PASSPHRASE)
    assert SECRET not in repr(creds) and SECRET not in repr(creds.api_secret)
    assert creds.api_secret == SECRET  # still the secret where it is used
    client, session = _client(exchange)
    client.get_balances()
    assert session.signatures
    prepared = requests.Request(
        "GET", exchange.base_url, headers={"ACCESS-SIGN": Secret("sig-value")}
    ).prepare()
    assert "sig-value" not in repr(prepared.headers)  # requests' own header dict masks it


# -- redirects are never followed ---------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every request with a redirect to ``target`` — or, as the target, records it."""

    target: str | None = None
    status = 307
    seen: list[dict[str, str]]

    def _any(self) -> None:
        self.seen.append(dict(self.headers))
        if self.target:
            self.send_response(self.status)
            self.send_header("Location", self.target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            body = b'{"code":"00000","msg":"success","requestTime":0,"data":"stolen"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    do_GET = do_POST = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the library never prints; neither does its test server


def _serve(
    target: str | None, status: int = 307
) -> tuple[http.server.ThreadingHTTPServer, list[dict[str, str]]]:
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Recorder,), {"target": target, "status": status, "seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_an_error_naming_its_target_and_nothing_follows_it(status):
    elsewhere, stolen = _serve(None)
    target = f"http://127.0.0.1:{elsewhere.server_address[1]}"
    gateway, _ = _serve(target, status)
    url = f"http://127.0.0.1:{gateway.server_address[1]}"
    try:
        session = SpySession()
        client = bg.BitgetClient(KEY, SECRET, PASSPHRASE, base_url=url,
                                 session=session, sleep=lambda s: None)  # fmt: skip
        exc = _raised(lambda: client.submit_new_order(BID))
        assert isinstance(exc, bg.RedirectError) and exc.http_status == status
        assert exc.location.startswith(target) and target in str(exc)
        assert stolen == []  # neither the headers nor the order went to the target
        assert len(session.signatures) == 1  # sent once: a redirect is not re-sent
        assert_clean(exc, {SECRET, PASSPHRASE, *session.signatures})
    finally:
        gateway.shutdown()
        elsewhere.shutdown()


def test_connect_with_half_the_keys_as_arguments_shows_none_of_them(monkeypatch):
    for name in ("BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASS"):
        monkeypatch.delenv(name, raising=False)
    exc = _raised(lambda: bg.connect("live", api_key="bg_key_0123456789", api_secret=SECRET))
    assert isinstance(exc, bg.ConfigurationError)
    assert_clean(exc, {SECRET})


def test_the_scan_finds_a_secret_left_in_a_library_frame():
    """The scan has teeth: a secret in a bitget_nb frame's locals is found."""
    from bitget_nb.signing import sign

    try:
        sign(SECRET, None, "GET", "/x", "", "")  # type: ignore[arg-type]
    except TypeError as exc:
        assert SECRET in surfaces(exc)
    else:
        raise AssertionError("sign() accepted a timestamp of None")


def test_a_refused_websocket_login_leaves_no_secret(exchange):
    """The stream's login (WS §2): the passphrase and a signature go over the socket; the
    refusal, its chain and the verbose traceback's locals show neither."""
    client = bg.BitgetClient(KEY, SECRET + "x", PASSPHRASE, base_url=exchange.base_url)
    with client, client.stream() as stream:
        exc = _raised(lambda: stream.subscribe("order"))
        assert isinstance(exc, bg.StreamLoginError) and exc.code == "30015"
        assert_clean(exc, {SECRET, SECRET + "x", PASSPHRASE})
        assert PASSPHRASE not in repr(stream) and SECRET not in repr(stream)
