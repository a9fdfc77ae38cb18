"""pyproject.toml as setuptools reads it: the license is an SPDX expression (a TOML table
made setup print setuptools' "project.license as a TOML table is deprecated" banner
three times), with a setuptools that reads one."""
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def test_the_license_is_an_spdx_expression():
    assert PYPROJECT["project"]["license"] == "MIT"


def test_the_build_asks_for_a_setuptools_that_reads_it():
    # setuptools reads SPDX license strings from 77.0.0 on
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"]
