"""What the tests that run the tutorials outside nbval share."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def notebook_env() -> dict[str, str]:
    """``NOTEBOOK_ENV`` of ``notebooks/conftest.py``: what nbval runs the tutorials with, and
    so what their stored outputs were made with."""
    spec = importlib.util.spec_from_file_location(
        "_tutorials_env", ROOT / "notebooks" / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.NOTEBOOK_ENV)
