"""Every ```python block of the README runs as written, alone, in a fresh process and an
empty folder (a ``docs/`` folder made for the pictures it writes); the ``test_*``
functions a block defines are called too."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
TEXT = README.read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```python\n(.*?)^```", TEXT, re.S | re.M)
CALL_TESTS = """
for _name, _function in list(globals().items()):
    if _name.startswith("test_") and callable(_function):
        _function()
"""


def _line(block: str) -> int:
    """The README line where the block starts (names the test case)."""
    return TEXT[:TEXT.index(block)].count("\n") + 1


def test_the_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("block", BLOCKS, ids=[f"line{_line(b)}" for b in BLOCKS])
def test_a_readme_block_runs_as_written(block: str, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, "-c", block + CALL_TESTS], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"README block failed:\n{block}\n{result.stderr[-3000:]}"
