"""Where a URL really points: the one place a host is checked.

A loopback check done by splitting strings is fooled by userinfo: in
``http://localhost:1@evil.example`` the host is ``evil.example`` (``localhost:1`` is a user
name and password), so keys meant for a local exchange would go to another machine. Every
check here parses with :func:`urllib.parse.urlsplit` and refuses what parsers are known to
read differently (userinfo, backslashes, white space and control characters in the
authority), so the host checked is the host ``requests`` connects to.

>>> is_loopback_url("http://127.0.0.1:8080")
True
>>> is_loopback_url("http://localhost:1@evil.example")
False
>>> base_url_problem("http://localhost:1@evil.example")
'it carries a user name or password (…@): the host would be evil.example'
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit

__all__ = ["base_url_problem", "is_loopback_host", "is_loopback_url", "redact", "url_host"]

_SCHEMES = frozenset({"http", "https", "ws", "wss"})


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine only (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    return parts


def base_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a base URL (``None`` when it can): it must be
    ``scheme://host[:port][/path]`` with no user name, password, query or fragment."""
    if not isinstance(url, str) or not url:
        return "it is empty"
    if any(c.isspace() or ord(c) < 32 or c == "\\" for c in url):
        return "it holds white space, a control character or a backslash"
    parts = _split(url)
    if parts is None:
        return "it cannot be parsed (is the port a number?)"
    if parts.scheme.lower() not in _SCHEMES:
        return f"its scheme must be one of {', '.join(sorted(_SCHEMES))}"
    if "@" in parts.netloc:
        return f"it carries a user name or password (…@): the host would be {parts.hostname}"
    if not parts.hostname:
        return "it names no host"
    if parts.query or parts.fragment or url.rstrip().endswith(("?", "#")):
        return "it carries a query or fragment"
    return None


def url_host(url: str) -> str | None:
    """The host a request to ``url`` goes to, or ``None`` when ``url`` is not a usable base
    URL (see :func:`base_url_problem`)."""
    if base_url_problem(url) is not None:
        return None
    parts = _split(url)
    return parts.hostname if parts is not None else None


def is_loopback_url(url: str) -> bool:
    """Whether every request to ``url`` stays on this machine."""
    host = url_host(url)
    return host is not None and is_loopback_host(host)


def redact(url: str) -> str:
    """``url`` with any user name and password replaced by ``…`` (they may be secrets), for
    messages.

    >>> redact("https://user:hunter2@api.example/x")
    'https://…@api.example/x'
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        authority = "…@" + authority.rsplit("@", 1)[1]
    return f"{scheme}://{authority}{slash}{tail}"
