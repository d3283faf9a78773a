"""How the exchange is layered (docs/exchange.md): no import cycles, the domain never imports
the API layer, and every row of the endpoint table is served and exposed."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import bitget_nb
from bitget_nb import BitgetClient
from bitget_nb.endpoints import ENDPOINTS
from bitget_nb.exchange.api import HANDLERS, UNSERVED
from bitget_nb.exchange.clock import ManualClock
from bitget_nb.exchange.venue import Venue

from .wire import START_MS

PACKAGE = Path(bitget_nb.__file__).parent / "exchange"
ROOT = PACKAGE.parent.parent
PREFIX = "bitget_nb.exchange"

#: The wire side: HTTP, auth, parameters, records, handlers, the venue facade, persistence;
#: and the edges that read the outside world: a recorded market (``replay``: frames, files,
#: the candle store) and the in-process transport (``inprocess``: requests → WSGI); the
#: WebSocket front (``ws``: the server, ``ws_feed``: the protocol, ``ws_records``: its shapes).
API_LAYER = {
    "__init__", "api", "auth", "canonical", "faults", "http", "inprocess", "local", "params",
    "persistence", "legacy", "ratelimit", "records", "replay", "state_adapter", "venue", "ws",
    "ws_feed", "ws_records",
}  # fmt: skip
#: The domain: typed commands in, domain objects out; no parameters, records or codes.
DOMAIN = {
    "accounts", "agenda", "checks", "clock", "commands", "copytrading", "core", "countdown",
    "defaults", "entry", "events", "fees", "futures", "instruments", "market", "marketdata",
    "ledger", "matching", "orders", "positions", "queries", "rejections", "scheduler", "settlement",
    "strategies", "triggers",
}  # fmt: skip
#: What the domain may use of the rest of the package: the shared vocabulary and candle
#: intervals only (not the error-code table, the endpoint table, signing or the client).
DOMAIN_MAY_IMPORT = {"bitget_nb.vocab", "bitget_nb.intervals"}
#: Endpoint rows the client deliberately does not expose, and why (none today).
NOT_EXPOSED: dict[str, str] = {}


def _modules() -> dict[str, Path]:
    return {path.stem: path for path in sorted(PACKAGE.glob("*.py"))}


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, anywhere in the file (TYPE_CHECKING blocks and function
    bodies included: a cycle hidden from the interpreter is still a cycle of the design)."""
    package = PREFIX.split(".") if name == "__init__" else [*PREFIX.split("."), name][:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            for alias in node.names:
                # ``from . import defaults`` imports the submodule (the package itself only
                # as Python's import machinery must, which is no dependency of the design).
                candidate = f"{module}.{alias.name}"
                submodule = ROOT.joinpath(*candidate.split(".")).with_suffix(".py")
                if candidate.startswith("bitget_nb.") and submodule.exists():
                    found.add(candidate)
                else:
                    found.add(module)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in _modules().items():
        node = PREFIX if name == "__init__" else f"{PREFIX}.{name}"
        graph[node] = {
            m for m in _imports(name, path) if m == PREFIX or m.startswith(PREFIX + ".")
        } - {node}
    return graph


def test_every_exchange_module_is_placed_in_one_layer() -> None:
    assert not API_LAYER & DOMAIN
    assert set(_modules()) == API_LAYER | DOMAIN


def test_the_exchange_modules_import_each_other_without_a_cycle() -> None:
    graph = _graph()
    assert len(graph) == len(_modules())
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' → '.join(exc.args[1])}") from None
    assert set(order) == set(graph)


def test_no_domain_module_imports_the_api_layer_or_the_wire_tables() -> None:
    api = {f"{PREFIX}.{name}" for name in API_LAYER - {"__init__"}} | {PREFIX}
    for name in sorted(DOMAIN):
        imported = _imports(name, _modules()[name])
        assert not imported & api, f"{name} imports {sorted(imported & api)}"
        outside = {
            m
            for m in imported
            if m.startswith("bitget_nb") and not m.startswith(PREFIX + ".") and m != PREFIX
        }
        assert outside <= DOMAIN_MAY_IMPORT, f"{name} imports {sorted(outside)}"


def test_every_endpoint_row_is_served_by_the_exchange_and_exposed_by_the_client() -> None:
    served, unserved = set(HANDLERS), set(UNSERVED)
    assert not served & unserved, "an endpoint is both served and listed as unserved"
    assert served | unserved == set(ENDPOINTS), (
        f"rows with no handler and no reason: {sorted(set(ENDPOINTS) - served - unserved)}"
    )
    assert all(reason.strip() for reason in UNSERVED.values())
    venue = Venue(clock=ManualClock(START_MS), seed=7)
    assert [name for name in ENDPOINTS if venue.implements(name) != (name in served)] == []
    not_exposed = {name for name in ENDPOINTS if not callable(getattr(BitgetClient, name, None))}
    assert not_exposed == set(NOT_EXPOSED), (
        f"the client does not expose {sorted(not_exposed - set(NOT_EXPOSED))}; "
        f"listed as not exposed but exposed: {sorted(set(NOT_EXPOSED) - not_exposed)}"
    )
    assert all(reason.strip() for reason in NOT_EXPOSED.values())
