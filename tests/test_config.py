"""Environments, credentials and connect(): nothing defaults to live, secrets never show."""

from __future__ import annotations

import pytest

import bitget_nb as bg
from bitget_nb.config import REST_HOST, Credentials, environment

SECRET, PASSPHRASE = "s3cr3t-VALUE-never-shown", "pa55-VALUE-never-shown"


@pytest.fixture
def no_env(monkeypatch):
    for var in ("BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASS", "BITGET_NB_ENV"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_environment_defaults_to_local_and_never_to_live(no_env):
    assert environment().name == "local"
    no_env.setenv("BITGET_NB_ENV", "demo")
    assert environment().name == "demo"
    assert environment("LIVE").live


def test_unknown_environment_is_a_configuration_error(no_env):
    with pytest.raises(bg.ConfigurationError, match="unknown environment 'prod'"):
        environment("prod")


def test_credentials_repr_hides_secret_and_passphrase():
    creds = Credentials("bg_0123456789abcdef", SECRET, PASSPHRASE)
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert SECRET not in text and PASSPHRASE not in text
        assert "0123456789abcdef" not in text  # the key itself is masked too


def test_credentials_come_from_the_environment_when_not_given(no_env):
    no_env.setenv("BITGET_API_KEY", "k" * 16)
    no_env.setenv("BITGET_API_SECRET", SECRET)
    no_env.setenv("BITGET_API_PASS", PASSPHRASE)
    creds = Credentials.resolve()
    assert creds is not None and creds.api_secret == SECRET
    assert Credentials.resolve(api_pass="other").api_pass == "other"


@pytest.mark.parametrize("env", ["demo", "live"])
def test_connect_to_bitget_names_each_missing_variable(no_env, env):
    no_env.setenv("BITGET_API_KEY", "k" * 16)
    with pytest.raises(bg.ConfigurationError) as info:
        bg.connect(env)
    message = str(info.value)
    assert "BITGET_API_SECRET" in message and "BITGET_API_PASS" in message
    assert "BITGET_API_KEY" not in message
    assert f"connect('{env}')" in message


def test_connect_demo_with_keys_targets_bitget_with_the_demo_header(no_env):
    client = bg.connect("demo", api_key="k" * 16, api_secret=SECRET, api_pass=PASSPHRASE)
    assert (client.env, client.base_url, client.transport.demo) == ("demo", REST_HOST, True)
    assert SECRET not in repr(client) and PASSPHRASE not in repr(client)
    client.close()


def test_connect_live_only_when_named(no_env):
    client = bg.connect("live", api_key="k" * 16, api_secret=SECRET, api_pass=PASSPHRASE)
    assert client.env == "live" and not client.transport.demo
    client.close()


def test_bitget_client_needs_an_explicit_base_url():
    with pytest.raises(TypeError):
        bg.BitgetClient()  # type: ignore[call-arg]


def test_partial_credentials_are_refused_with_the_missing_names():
    with pytest.raises(bg.ConfigurationError, match="BITGET_API_PASS"):
        bg.BitgetClient("k" * 16, SECRET, base_url="http://127.0.0.1:1")


def test_connect_can_share_a_running_local_exchange(no_env):
    with bg.LocalExchange(seed=2) as ex:
        no_env.setenv("BITGET_NB_LOCAL_URL", ex.base_url)
        no_env.setenv("BITGET_API_KEY", ex.credentials["api_key"])
        no_env.setenv("BITGET_API_SECRET", ex.credentials["api_secret"])
        no_env.setenv("BITGET_API_PASS", ex.credentials["api_pass"])
        client = bg.connect()
        assert client.base_url == ex.base_url and client.env == "local"
        assert client.get_balances().shape[0] >= 3
        client.close()


def test_shared_local_exchange_must_be_on_loopback(no_env):
    no_env.setenv("BITGET_NB_LOCAL_URL", "http://10.0.0.5:8080")
    with pytest.raises(bg.ConfigurationError, match="not a loopback address"):
        bg.connect()


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:1@evil.example",  # userinfo: the host is evil.example
        "http://127.0.0.1:8080@evil.example:80",
        "http://user:pw@127.0.0.1:8080",  # loopback, but credentials in a URL are refused
        "http://127.0.0.1:80\\@evil.example",  # parsers disagree on backslashes
        "http://evil.example#@127.0.0.1",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
        "http://127.0.0.1 @evil.example",
        "ftp://127.0.0.1",
    ],
)
def test_a_shared_local_url_is_checked_by_a_real_url_parser(no_env, url):
    no_env.setenv("BITGET_NB_LOCAL_URL", url)
    no_env.setenv("BITGET_API_KEY", "k" * 16)
    no_env.setenv("BITGET_API_SECRET", SECRET)
    no_env.setenv("BITGET_API_PASS", PASSPHRASE)
    with pytest.raises(bg.ConfigurationError, match="cannot be a local exchange") as info:
        bg.connect()
    assert SECRET not in str(info.value) and "pw" not in str(info.value).replace(url, "")


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://127.9.9.9", True),
        ("HTTP://LOCALHOST:1/", True),
        ("http://[::1]:8080/api", True),
        ("http://localhost:1@evil.example", False),
        ("http://[::ffff:10.0.0.1]:1", False),
        ("http://10.0.0.5:8080", False),
        ("https://api.bitget.com", False),
        ("http://127.0.0.1:notaport", False),
    ],
)
def test_one_helper_decides_what_is_loopback(url, loopback):
    from bitget_nb._net import is_loopback_url

    assert is_loopback_url(url) is loopback


def test_a_base_url_with_credentials_in_it_is_refused_without_showing_them():
    with pytest.raises(bg.ConfigurationError, match="user name or password") as info:
        bg.BitgetClient(base_url="https://user:hunter2@api.bitget.com")
    assert "hunter2" not in str(info.value)
