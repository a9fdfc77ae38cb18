"""Command-line arguments: values that used to give a silent wrong result (``search
--trials 0`` ran 20 trials, ``--n-samples -5`` dropped 5 rows, ``viz --n-in 0`` drew 64
inputs, ``predict --label-column`` was ignored for built-in data, ``gradcheck
--max-entries 0`` passed having checked nothing, ``--examples 0`` blamed a box) are
refused in one line, the values next to them do what they say, a search whose every
trial fails says why on standard error, and sizes that cannot fit in memory are refused
up front with the amount they would take."""
import json

import pytest

from autograd_flow import cli
from autograd_flow.learn.memory import TooLargeError, check_fits, format_bytes, memory_limit

SEARCH = ["search", "--dataset", "moons", "--n-samples", "100", "--set", "epochs=1",
          "--set", "hidden=4", "--jobs", "1", "--no-progress", "--no-test"]


def error_of(args, capsys):
    """(exit status, the one line on standard error) of ``autograd-flow ARGS``."""
    try:
        status = cli.main(args)
    except SystemExit as exit_info:  # argparse
        status = exit_info.code
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return status, err


@pytest.mark.parametrize("args, named", [
    (["search", "--random", "lr=loguniform:1e-3:1", "--trials", "0"], "--trials"),
    (["train", "--n-samples", "-5"], "--n-samples"),
    (["train", "--n-samples", "0"], "--n-samples"),
    (["viz", "--n-in", "0"], "--n-in"),
    (["viz", "--n-out", "0"], "--n-out"),
    (["gradcheck", "--max-entries", "0"], "--max-entries"),
    (["gradcheck", "--examples", "0"], "--examples"),
    (["gradcheck", "--atol", "-1"], "--atol"),
    (["gradcheck", "--l2", "inf"], "--l2"),
    (["train", "--seed", "4294967296"], "--seed"),
    (["train", "--warmup", "-1"], "--warmup"),
    (["search", "--grid", "lr=0.1", "--jobs", "-2"], "--jobs"),
])
def test_values_that_were_silently_wrong_are_refused(args, named, capsys):
    status, err = error_of(args, capsys)
    assert status == 2 and named in err and f"see autograd-flow {args[0]} --help" in err


def test_trials_run_exactly_as_many_trials_as_asked(tmp_path, capsys):
    assert cli.main([*SEARCH, "--random", "lr=loguniform:1e-2:1", "--trials", "3",
                     "--out", str(tmp_path / "s")]) == 0
    results = json.loads((tmp_path / "s" / "results.json").read_text())
    assert len(results["trials"]) == 3


def test_a_search_where_every_trial_fails_says_why_on_standard_error(tmp_path, capsys):
    assert cli.main([*SEARCH, "--grid", "lr=1e38,1e37", "--out", str(tmp_path / "s")]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    last = captured.err.strip().splitlines()[-1]
    assert last.startswith("autograd-flow search: every trial failed (2 of 2); the first, "
                           "trial 0 (lr=1e+38, epochs=1, hidden=4): NonFiniteError: "
                           "training diverged")
    assert last.endswith(f"each trial's error is in {tmp_path / 's' / 'results.csv'}")


def test_n_samples_takes_that_many_examples(tmp_path, capsys):
    assert cli.main(["train", "--n-samples", "50", "--hidden", "4", "--epochs", "1",
                     "--no-progress", "--no-plots", "--out", str(tmp_path / "r")]) == 0
    counts = json.loads((tmp_path / "r" / "metrics.json").read_text())["n_examples"]
    assert sum(counts.values()) == 50


def test_viz_draws_the_sizes_asked_for(tmp_path, capsys):
    assert cli.main(["viz", "--n-in", "3", "--n-out", "2", "--hidden", "5", "-o",
                     str(tmp_path / "g.dot")]) == 0
    assert "MLP [3, 5, 2]" in (tmp_path / "g.dot").read_text()


def test_predict_refuses_a_label_column_for_built_in_data(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "moons", "--n-samples", "100", "--hidden", "4",
                     "--epochs", "1", "--no-progress", "--no-plots",
                     "--out", str(tmp_path / "r")]) == 0
    capsys.readouterr()
    status, err = error_of(["predict", str(tmp_path / "r"), "moons", "--label-column", "0"],
                           capsys)
    assert status == 2 and "the built-in data set moons has its own labels" in err


def test_gradcheck_checks_the_entries_asked_for(capsys):
    assert cli.main(["gradcheck", "--hidden", "3", "--n-in", "2", "--n-out", "2",
                     "--examples", "1", "--max-entries", "1"]) == 0
    out = capsys.readouterr().out
    assert "on 1 random standardized examples" in out
    assert "0 of 4 gradient entries disagree" in out  # one entry of each parameter


@pytest.mark.parametrize("args", [
    ["train", "--dataset", "moons", "--n-samples", "100", "--hidden", "100000000"],
    ["train", "--dataset", "moons", "--n-samples", "100000000000"],
    ["viz", "--examples", "10000000000"],
    ["tour", "--batch", "100000000000"],
    ["gradcheck", "--hidden", "100000,100000"],
])
def test_sizes_that_cannot_fit_are_refused_with_the_memory_they_need(args, capsys, tmp_path):
    status, err = error_of([*args, *(["--out", str(tmp_path / "r")] if args[0] == "train"
                                     else [])], capsys)
    assert status == 2
    assert "would need about" in err and f"more than this machine's " \
        f"{format_bytes(memory_limit())}" in err
    assert not (tmp_path / "r").exists()


def test_check_fits_and_format_bytes():
    check_fits(1024, "a kibibyte")
    with pytest.raises(TooLargeError, match=r"^an array would need about 16 TiB of memory, "
                                            r"more than this machine's .*: buy more$"):
        check_fits(16 * 2 ** 40, "an array", "buy more")
    assert [format_bytes(n) for n in (0, 1023, 1536, 3 * 2 ** 30)] == [
        "0 bytes", "1023 bytes", "1.5 KiB", "3 GiB"]


def test_argparse_errors_are_one_line(capsys):
    status, err = error_of(["train", "--activation", "swish"], capsys)
    assert status == 2 and err.startswith("autograd-flow train: error: argument --activation")
    status, err = error_of([], capsys)
    assert status == 2 and "the following arguments are required: COMMAND" in err
