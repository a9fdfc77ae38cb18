"""Every notebook in notebooks/ runs top to bottom (small settings), so none rots; and is
committed as it ran, with its outputs (what a reader on GitHub sees)."""
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRAD_FLOW_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    # execute() raises CellExecutionError, with the cell and its traceback, if one fails
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), "every code cell ran"
    assert sum(len(cell.outputs) for cell in code) >= len(code) // 2, "the notebook shows results"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_with_its_outputs(path):
    """The committed file, read as JSON (not re-run): every code cell ran, in order, in
    one kernel, and none failed or warned; a notebook saved without outputs fails."""
    code = [cell for cell in json.loads(path.read_text())["cells"]
            if cell["cell_type"] == "code"]
    assert [cell.get("execution_count") for cell in code] == list(range(1, len(code) + 1)), \
        "run every cell top to bottom (make notebooks) and commit the result"
    outputs = [output for cell in code for output in cell.get("outputs", [])]
    assert outputs, "committed without outputs"
    for output in outputs:
        assert output["output_type"] != "error", f"a cell failed: {output.get('ename')}"
        if output.get("name") == "stderr":
            text = "".join(output["text"])
            assert "Traceback" not in text and "Warning" not in text, text


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ should hold the project's executed examples"


def test_the_learning_notebook_says_in_words_how_training_stopped():
    """It printed "stopped by early after 12 of 180 epochs" (TrainResult.stopped is a
    code, "early" or "epochs", not a phrase)."""
    path = next(p for p in NOTEBOOKS if p.stem == "learning")
    text = "".join(text for cell in json.loads(path.read_text())["cells"]
                   if cell["cell_type"] == "code" for output in cell.get("outputs", [])
                   for text in output.get("text", []))
    assert re.search(r"^(stopped early after \d+ of \d+ epochs: \d+ without a better "
                     r"validation error|trained all \d+ epochs)$", text, re.M), text
    assert "stopped by" not in text
