"""Fixtures shared by the hostile-input tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograd_flow import cli


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small finished run folder (moons, one hidden layer of 4, three epochs), made
    once per test module."""
    folder = tmp_path_factory.mktemp("run") / "run"
    assert cli.main(["train", "--dataset", "moons", "--n-samples", "200", "--hidden", "4",
                     "--epochs", "3", "--no-progress", "--no-plots", "--out", str(folder)]) == 0
    return folder
