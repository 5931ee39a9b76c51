"""`mypy --strict` over core, store and the Source contract, from the test run CI already does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRICT = ["sharekit/core", "sharekit/store", "sharekit/sources/base.py"]


@pytest.mark.slow
def test_core_store_and_the_source_contract_pass_mypy_strict():
    pytest.importorskip("mypy", reason="mypy comes with the test extra: pip install -e '.[test]'")
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", *STRICT], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout
