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
#: a block that uses hypothesis runs under the suite's CI settings (derandomized, bounded,
#: no "slow input generation" health check, which a loaded 2-core machine trips)
HYPOTHESIS_CI = """
from hypothesis import HealthCheck as _HealthCheck, settings as _settings
_settings.register_profile("readme", derandomize=True, max_examples=40, deadline=None,
                           suppress_health_check=[_HealthCheck.too_slow])
_settings.load_profile("readme")
"""
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
    code = (HYPOTHESIS_CI if "hypothesis" in block else "") + block + CALL_TESTS
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"README block failed:\n{block}\n{result.stderr[-3000:]}"


# -- the figures the README gives ------------------------------------------------------

#: a time: "172 s", "0.5-0.6 s", "2.6 ms", "120 microseconds", "3 minutes"
TIMING = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?:-\d+(?:\.\d+)?)? ?"
                    r"(?:s|ms|seconds?|minutes?|microseconds|hours?)\b")
#: what gives a figure: a command in backquotes (shell, make, pytest, ...), a call of
#: code (`viz.to_svg(...)`), or a code block (its lines are the commands)
COMMAND = re.compile(r"`(?:make|autograd-flow|python|pytest|jupyter|time|kill|rm) [^`]*`"
                     r"|`(?:\.venv/bin/|MPLBACKEND=|HYPOTHESIS_PROFILE=)[^`]*`"
                     r"|`[^`]*\w\([^`]*`|^```", re.M)
#: times that are settings, not measurements, and so name no command
SETTINGS = ("forgotten 30 s later",)


def _blocks(text: str) -> list[str]:
    """The README as paragraphs, list items, tables and code blocks (a code block with
    blank lines inside stays one block)."""
    blocks: list[str] = []
    for piece in re.split(r"(^```.*?^```)", text, flags=re.S | re.M):
        if piece.startswith("```"):
            blocks.append(piece)
            continue
        for paragraph in re.split(r"\n\s*\n", piece):
            blocks += [item for item in re.split(r"\n(?=- )", paragraph) if item.strip()]
    return blocks


def timings_without_a_command(text: str) -> list[str]:
    """Each timing figure of ``text`` that no command gives: none in its block, in the
    block before it or in the two after it (a table, then "Measured with", then the
    command), without crossing a heading. In a code block, the line itself is the
    command."""
    blocks = _blocks(text)
    missing = []
    for k, block in enumerate(blocks):
        if block.startswith("```"):
            lines = [line for line in block.splitlines()[1:-1] if TIMING.search(line)]
            missing += [line for line in lines if not line.split("#")[0].strip()]
            continue
        neighbours = [block]
        for step in (-1, 1, 2):
            if 0 <= k + step < len(blocks) and not blocks[k + step].startswith("#"):
                neighbours.append(blocks[k + step])
            elif step > 0:
                break
        for figure in TIMING.finditer(block):
            if any(setting in block for setting in SETTINGS):
                continue
            if not any(COMMAND.search(neighbour) for neighbour in neighbours):
                missing.append(f"{figure.group()!r} in: {' '.join(block.split())[:120]}")
    return missing


def test_every_timing_figure_names_the_command_that_gives_it():
    assert timings_without_a_command(TEXT) == []


def test_the_figure_check_finds_a_timing_without_a_command():
    text = ("## A\n\nThe demo takes about 3 s on 2 cores.\n\n## B\n\n`make test` takes "
            "172 s.\n\n| step | 0.5 s |\n\nMeasured with\n\n```bash\nmake bench   # 2 "
            "minutes\n# 5 s without a command\n```\n\n## C\n\nA list:\n\n- `pytest` alone\n"
            "- an item of 4 s\n")
    assert [line.split(" in:")[0] for line in timings_without_a_command(text)] == \
        ["'3 s'", "# 5 s without a command", "'4 s'"]


def test_plans_run_from_the_third_call_as_the_readme_says():
    import numpy as np

    import autograd_flow as af

    assert "runs from the third time" in TEXT
    x = af.Input("x")
    graph = af.FlowGraph(af.tanh(x @ af.Parameter(np.ones((3, 4)), name="W").T).sum())
    ran = []
    for _ in range(3):
        graph.fprop({x: np.ones((8, 4))})
        graph.bprop()
        ran.append(dict(graph.ran))
    assert ran == [{"fprop": "interpreter", "bprop": "interpreter"}] * 2 + \
        [{"fprop": "plan", "bprop": "plan"}]


@pytest.mark.slow
def test_the_demos_figures_are_what_its_code_gives():
    """"make demo reaches 2.22% test error on digits (8 of 360; train 0.00%, valid
    3.33%)": the defaults of TrainConfig, seed 0, trained again."""
    from autograd_flow.data import load_dataset
    from autograd_flow.learn import TrainConfig, train

    claim = re.search(r"reaches \*\*([\d.]+)% test error\*\* on digits \((\d+) of (\d+); "
                      r"train ([\d.]+)%, valid ([\d.]+)%\)", TEXT)
    assert claim, "the README's demo figures moved: update this test's pattern"
    splits = load_dataset("digits")
    result = train(TrainConfig(), splits)
    wrong = round(result.test_error * len(splits.y_test))
    assert (f"{100 * result.test_error:.2f}", str(wrong), str(len(splits.y_test)),
            f"{100 * result.train_error:.2f}", f"{100 * result.valid_error:.2f}") == \
        claim.groups()


def test_the_regression_figures_are_what_its_code_gives():
    """"test MSE 3538 (RMSE 59.5), R² 0.310 (train 0.541, valid 0.546)": train
    --task regression on diabetes is TrainConfig(optimizer="adam"), seed 0."""
    from autograd_flow.data import load_dataset
    from autograd_flow.learn import TrainConfig, train

    claim = re.search(r"test MSE (\d+) \(RMSE ([\d.]+)\), R² ([\d.]+) \(train ([\d.]+), "
                      r"valid ([\d.]+)\)", TEXT)
    assert claim, "the README's regression figures moved: update this test's pattern"
    result = train(TrainConfig(optimizer="adam"), load_dataset("diabetes"))
    assert (f"{result.test_error:.0f}", f"{result.test_error ** 0.5:.1f}",
            f"{result.r2['test']:.3f}", f"{result.r2['train']:.3f}",
            f"{result.r2['valid']:.3f}") == claim.groups()
