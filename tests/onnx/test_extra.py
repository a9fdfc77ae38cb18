"""The onnx extra: ``af.onnx`` loads on first use without importing onnx, and without
onnx installed export and load say in one line which pip install brings it."""
import subprocess
import sys
from pathlib import Path

import pytest


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


def test_importing_the_package_and_af_onnx_imports_no_onnx():
    done = _python("import sys, autograd_flow as af\n"
                   "af.onnx.export, af.onnx.load\n"
                   "print(sorted(m for m in sys.modules if m.split('.')[0] in "
                   "('onnx', 'onnxruntime')))\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("call", ["af.onnx.export(af.exp(af.Input('x', shape=(2,), "
                                  "dtype=float)), 'm.onnx')",
                                  "af.onnx.load('m.onnx')"])
def test_without_onnx_a_call_says_which_extra_brings_it(call, tmp_path):
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys\nsys.modules['onnx'] = None\nimport autograd_flow as af\n"
         "from autograd_flow.errors import MissingExtraError\n"
         f"try:\n    {call}\nexcept MissingExtraError as error:\n    print(error)\n"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert line.startswith(call.split("(")[0] + " needs onnx"), line
    assert 'pip install "autograd_flow[onnx]"' in line, line
    assert "\n" not in line
    assert not (tmp_path / "m.onnx").exists()


def test_without_onnx_the_onnx_tests_skip_cleanly():
    folder = Path(__file__).parent
    files = sorted(str(p) for p in folder.glob("test_*.py") if p.name != "test_extra.py")
    done = _python("import sys, pytest\n"
                   "sys.modules['onnx'] = sys.modules['onnxruntime'] = None\n"
                   f"sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', *{files!r}]))\n")
    assert done.returncode == 5, done.stdout[-2000:] + done.stderr[-2000:]  # nothing ran
    assert "skipped" in done.stdout and "error" not in done.stdout.lower(), done.stdout
