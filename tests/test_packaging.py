"""The project's own files describe one set of dependencies and one public surface."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import bitget_nb

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _conda_entries() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    entries = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", dep).groups()
            entries[canonicalize_name(name)] = spec.replace(" ", "")
    return entries


def test_environment_yml_mirrors_every_dependency_of_pyproject():
    project = _pyproject()["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    conda = _conda_entries()
    for line in wanted:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in conda, f"{req.name} is in pyproject.toml but not in environment.yml"
        assert conda[name] == str(req.specifier), f"{req.name}: versions differ"


def test_environment_yml_is_conventional():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]
    assert "python>=3.11" in env["dependencies"] and "pip" in env["dependencies"]
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section


def test_python_floor_is_3_11():
    assert _pyproject()["project"]["requires-python"] == ">=3.11"


def test_public_names_are_exactly_what_we_mean_to_export():
    assert set(bitget_nb.__all__) == {
        "AuthenticationError", "BitgetAPIError", "BitgetClient", "BitgetError",
        "CandleGapWarning", "CandleStore", "ConfigurationError", "Credentials",
        "DeadMansSwitch", "DeadMansSwitchWarning",
        "DeadMansSwitchToggle", "DuplicateClientOidError", "InstrumentRules",
        "InsufficientBalanceError", "InvalidParameterError", "Journal", "KillSwitch",
        "LocalExchange",
        "OrderForm", "OrderNotFoundError", "OrdersView", "OutcomeUnknownError",
        "PermissionDeniedError", "PriceLadder",
        "PlaceOrderRequestV3", "PositionError", "RateLimitError", "RedirectError", "Replay",
        "RunResult", "SeedAliasWarning",
        "ServerError", "StrategyOrderRequestV3", "Stream", "StreamError", "StreamLoginError",
        "StreamSubscriptionError", "TimestampExpiredError", "TradeReport",
        "TransportError", "ValidationError",
        "__version__", "connect", "default_exchange", "run", "trade_report",
    }  # fmt: skip
    for name in bitget_nb.__all__:
        assert getattr(bitget_nb, name) is not None


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "exec make test" in ci
    assert "make test" in readme and "make lab" in readme


def test_make_lab_hands_args_to_jupyterlab_and_forces_no_account_into_memory():
    # a dry run: make prints the commands and runs none (nothing installed, nothing started)
    done = subprocess.run(
        ["make", "-n", "lab", "ARGS=--port 8899 --no-browser"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    [lab] = [line for line in done.stdout.splitlines() if "/jupyter lab " in line]
    assert lab.endswith(" --notebook-dir=notebooks --port 8899 --no-browser")
    assert lab.startswith("BITGET_NB_ENV=local ") and "BITGET_NB_DATA" not in lab
