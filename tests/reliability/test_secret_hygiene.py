"""No secret ever shows: every notebook is run with its exchanges' keys and every signature
sent recorded through side channels, then every output, widget state, log line and repr is
scanned for them. The committed notebooks are scanned for anything that looks like one.

The kernel is told nothing through its outputs: a prepended cell (not saved) installs a
``requests`` hook that writes each ``ACCESS-SIGN`` to a file, DEBUG logging of every
``bitget_nb`` logger (and urllib3's, werkzeug's) to a file, and a record of every
``LocalExchange`` made; an appended cell writes every key's secret and passphrase, and the
repr of every object in the notebook's namespace, to files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from ..tutorials import notebook_env

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


#: An HMAC-SHA256 signature in base64 (44 characters, one "=" of padding), standing alone.
SIGNATURE = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])")
#: A header or argument that carries a secret, with a value.
SECRET_VALUES = re.compile(
    r"""(ACCESS-SIGN|ACCESS-PASSPHRASE|api_secret|api_pass|BITGET_API_SECRET|BITGET_API_PASS)"""
    r"""\W{0,6}(=|:)\s*\\?["']?(?!<hidden>)[A-Za-z0-9+/=_\-]{6,}""",
    re.IGNORECASE,
)

SPY = """\
import logging, requests, weakref
import bitget_nb.exchange.local as _local
_spy_handler = logging.FileHandler({log!r})
_spy_handler.setLevel(logging.DEBUG)
_spy_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
for _name in ("bitget_nb", "urllib3", "werkzeug"):
    logging.getLogger(_name).setLevel(logging.DEBUG)
    logging.getLogger(_name).addHandler(_spy_handler)
_spy_send = requests.Session.send
def _spied_send(self, request, **kwargs):
    signature = request.headers.get("ACCESS-SIGN")
    if signature:
        with open({signs!r}, "a") as f:
            f.write(signature + "\\n")
    return _spy_send(self, request, **kwargs)
requests.Session.send = _spied_send
_spy_exchanges = []
_spy_init = _local.LocalExchange.__init__
def _spied_init(self, *args, **kwargs):
    _spy_init(self, *args, **kwargs)
    _spy_exchanges.append(weakref.ref(self))
_local.LocalExchange.__init__ = _spied_init
"""

REVEAL = """\
import json as _json
import bitget_nb as _bg
_spy_keys = [_bg.default_exchange().credentials]
for _ref in _spy_exchanges:
    _ex = _ref()
    if _ex is not None:
        _spy_keys += [k.credentials() for k in _ex.venue.account.keys]
with open({keys!r}, "w") as f:
    _json.dump(_spy_keys, f)
with open({reprs!r}, "w") as f:
    for _name, _value in list(globals().items()):
        if not _name.startswith("_"):
            try:
                f.write(f"{{_name}} = {{_value!r:.2000}}\\n{{_value!s:.2000}}\\n")
            except Exception as _exc:
                f.write(f"{{_name}}: {{type(_exc).__name__}}: {{_exc}}\\n")
logging.getLogger("bitget_nb").removeHandler(_spy_handler)
_spy_handler.close()
"""


def _secrets(keys: list[dict[str, str]], signatures: list[str]) -> set[str]:
    found = {k["api_secret"] for k in keys} | {k["api_pass"] for k in keys}
    return found | {s for s in signatures if len(s) >= 20}


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_running_a_notebook_shows_no_secret_in_outputs_widgets_logs_or_reprs(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    for name, value in {**notebook_env(), "BITGET_NB_DATA": ":memory:"}.items():
        monkeypatch.setenv(name, value)
    for name in ("BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASS", "BITGET_NB_LOCAL_URL"):
        monkeypatch.delenv(name, raising=False)
    # the kernel runs this interpreter's environment (as nbval --nbval-current-env does)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    files = {n: tmp_path / f"{n}.txt" for n in ("log", "signs", "keys", "reprs")}
    files["signs"].touch()
    nb = nbformat.read(path, as_version=4)
    spy = nbformat.v4.new_code_cell(SPY.format(**{k: str(v) for k, v in files.items()}))
    reveal = nbformat.v4.new_code_cell(REVEAL.format(**{k: str(v) for k, v in files.items()}))
    nb.cells = [spy, *nb.cells, reveal]
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    keys = json.loads(files["keys"].read_text())
    signatures = files["signs"].read_text().split()
    assert keys and all(k["api_secret"] and k["api_pass"] for k in keys)
    secrets = _secrets(keys, signatures)
    # the notebook as it would be saved (outputs, widget states in its metadata), minus the
    # two cells this test added, whose sources name the side-channel files
    nb.cells = nb.cells[1:-1]
    sources = {
        "notebook outputs and widget state": nbformat.writes(nb),
        "log records": files["log"].read_text(),
        "reprs and str() of the notebook's objects": files["reprs"].read_text(),
    }
    assert "DEBUG bitget_nb" in sources["log records"]  # the logs were captured
    for where, text in sources.items():
        leaked = sorted(s[:6] + "…" for s in secrets if s in text)
        assert not leaked, f"{path.name}: {len(leaked)} secret(s) in the {where}: {leaked}"


def _committed_notebooks() -> list[tuple[str, str]]:
    """(path, text) of each notebook exactly as git holds it (the index, which is what a
    commit takes), or as on disk when this is not a git checkout."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "notebooks/*.ipynb"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout
        names = [n for n in listed.decode().split("\0") if n]
        return [
            (
                name,
                subprocess.run(
                    ["git", "show", f":{name}"],
                    cwd=ROOT,
                    capture_output=True,
                    check=True,
                    timeout=30,
                ).stdout.decode(),
            )
            for name in names
        ]
    except (OSError, subprocess.SubprocessError):
        return [(str(p.relative_to(ROOT)), p.read_text()) for p in NOTEBOOKS]


def _text_parts(nb: nbformat.NotebookNode) -> list[str]:
    """Every piece of text of a notebook: sources, outputs (images left out: base64 of a
    picture is not text), metadata (widget states)."""
    parts = [json.dumps(nb.metadata)]
    for cell in nb.cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(json.dumps({k: v for k, v in output.items() if k != "data"}))
            for mime, value in output.get("data", {}).items():
                if not mime.startswith("image/"):
                    parts.append(value if isinstance(value, str) else json.dumps(value))
    return parts


def test_committed_notebooks_hold_no_signature_or_secret_value():
    committed = _committed_notebooks()
    assert len(committed) >= len(NOTEBOOKS) > 0
    for name, text in committed:
        for part in _text_parts(nbformat.reads(text, as_version=4)):
            assert not SIGNATURE.search(part), f"{name}: a signature-like value: {part[:200]}"
            match = SECRET_VALUES.search(part)
            assert not match, f"{name}: a secret with a value: {match.group(0)[:40]}…"


def test_the_committed_notebook_scan_finds_what_it_looks_for():
    leaks = [
        '{"ACCESS-SIGN": "' + "A" * 43 + '="}',
        "client = bg.BitgetClient(api_key='k', api_secret='0123abcd0123abcd', api_pass='x')",
        "BITGET_API_PASS=hunter22hunter",
    ]
    for leak in leaks:
        assert SIGNATURE.search(leak) or SECRET_VALUES.search(leak), leak
    fine = [
        "Credentials(api_key='bg_d…c3d4', api_secret=<hidden>, api_pass=<hidden>)",
        "api_secret: the secret of the key",
    ]
    for text in fine:
        assert not (SIGNATURE.search(text) or SECRET_VALUES.search(text)), text
