"""The command line under hostile input, as a user runs it: each row of the table runs
``autograd-flow`` as a subprocess in a copy of a workspace holding a finished run, user
files and every kind of bad file, and asserts an exit status of 1 or 2, exactly one
line on standard error naming the problem, no traceback, never the advice to load a
pickle, and every file of the workspace byte-identical afterwards (nothing created,
nothing removed)."""
import shutil

import pytest
from hostile_support import SMALL, build_workspace, run_cli, snapshot

TRAIN = ["train", "--no-progress", "--no-plots"]
TINY = ["--dataset", "moons", "--n-samples", "100", "--hidden", "4", "--epochs", "1"]
SEARCH = ["search", "--no-progress", "--jobs", "1"]

# (id, arguments, what stderr must name, exit status)
CASES = [
    # command-line arguments
    ("hidden not a number", [*TRAIN, "--hidden", "0.5"], "--hidden", 2),
    ("hidden of 1e8 units", [*TRAIN, *TINY, "--hidden", "100000000"], "of memory", 2),
    ("negative n-samples", [*TRAIN, "--n-samples", "-5"], "--n-samples", 2),
    ("1e11 samples", [*TRAIN, "--dataset", "moons", "--n-samples", "100000000000"],
     "of memory", 2),
    ("1e11 samples of digits", [*TRAIN, "--n-samples", "100000000000"],
     "digits has 1,797 examples", 2),
    ("more samples than digits", [*TRAIN, "--n-samples", "5000"], "--n-samples", 2),
    ("more samples than a file", [*TRAIN, "--dataset", "data/labels1e30.csv", "--n-samples",
                                  "41", "--task", "regression"], "has 40 examples", 2),
    ("zero epochs", [*TRAIN, "--epochs", "0"], "--epochs", 2),
    ("zero batch size", [*TRAIN, "--batch-size", "0"], "--batch-size", 2),
    ("negative seed", [*TRAIN, "--seed", "-1"], "--seed", 2),
    ("nan learning rate", [*TRAIN, *TINY, "--lr", "nan"], "learning rate", 2),
    ("valid fraction 1.5", [*TRAIN, *TINY, "--valid-fraction", "1.5"], "valid_fraction", 2),
    ("label column of digits", [*TRAIN, "--label-column", "3"], "label column", 2),
    ("unknown command", ["frobnicate"], "invalid choice", 2),
    ("zero trials", [*SEARCH, "--random", "lr=loguniform:1e-3:1", "--trials", "0"],
     "--trials", 2),
    ("trials of a grid", [*SEARCH, "--grid", "lr=0.1", "--trials", "5"], "grid", 2),
    ("zero jobs", [*SEARCH, "--grid", "lr=0.1", "--jobs", "0"], "--jobs", 2),
    ("bounds not numbers", [*SEARCH, "--random", "lr=loguniform:a:b"], "bounds", 2),
    ("no search space", [*SEARCH], "no search space", 2),
    ("unknown option", [*SEARCH, "--grid", "lr=0.1", "--set", "colour=1"],
     "unknown training option", 2),
    ("search of zero epochs", [*SEARCH, *TINY[:4], "--set", "epochs=0"], "epochs must be", 2),
    ("search with zero epochs in a grid", [*SEARCH, *TINY[:4], "--grid", "epochs=1,0"],
     "epochs=0", 2),
    ("search of 1e8 units", [*SEARCH, *TINY[:4], "--set", "hidden=100000000"], "of memory", 2),
    ("search of more samples than digits", [*SEARCH, "--grid", "lr=0.1", "--n-samples",
                                            "5000"], "1,797", 2),
    ("viz zero inputs", ["viz", "--n-in", "0"], "--n-in", 2),
    ("viz 1e10 examples", ["viz", "--examples", "10000000000", "-o", "out.svg"],
     "of memory", 2),
    ("viz negative examples", ["viz", "--examples", "-1"], "--examples", 2),
    ("viz saved model and sizes", ["viz", "run/model.npz", "--hidden", "5"],
     "describe a new model", 2),
    ("tour batch 1e11", ["tour", "--batch", "100000000000"], "of memory", 2),
    ("tour batch 0", ["tour", "--batch", "0"], "--batch", 2),
    ("gradcheck zero entries", ["gradcheck", "--max-entries", "0"], "--max-entries", 2),
    ("gradcheck zero examples", ["gradcheck", "--examples", "0"], "--examples", 2),
    ("gradcheck nan tolerance", ["gradcheck", "--rtol", "nan"], "--rtol", 2),
    ("gradcheck hidden 1e8", ["gradcheck", "--hidden", "100000000", "--examples", "1000"],
     "of memory", 2),
    ("predict label column of moons", ["predict", "run", "moons", "--label-column", "2"],
     "--label-column", 2),
    # data files
    ("missing data, existing run", [*TRAIN, "--out", "run", "--dataset", "typo.csv"],
     "typo.csv", 2),
    ("missing data, user files", [*TRAIN, "--out", "user", "--dataset", "typo.csv"],
     "typo.csv", 2),
    ("missing data, cwd", [*TRAIN, "--out", ".", "--dataset", "typo.csv"], "typo.csv", 2),
    ("failed overwrite", [*TRAIN, "--out", "run", "--overwrite", "--dataset", "typo.csv"],
     "typo.csv", 2),
    ("npz of 2**40 rows", [*TRAIN, "--dataset", "data/huge.npz"], "declares shape", 2),
    ("npz of 0 rows", [*TRAIN, "--dataset", "data/empty.npz"], "no examples", 2),
    ("npz of raw pickles", [*TRAIN, "--dataset", "data/rawpickle.npz"],
     "not a numpy array", 2),
    ("npz of objects", [*TRAIN, "--dataset", "data/objects.npz"], "carries a pickle", 2),
    ("text named npz", [*TRAIN, "--dataset", "data/text.npz"], "not an .npz archive", 2),
    ("npy named npz", [*TRAIN, "--dataset", "data/single.npz"], "single .npy array", 2),
    ("labels of 1e30", [*TRAIN, "--dataset", "data/labels1e30.csv"],
     "too large for a class label", 2),
    ("csv with nan", [*TRAIN, "--dataset", "data/nan.csv"], "NaN or infinite", 2),
    ("ragged csv", [*TRAIN, "--dataset", "data/ragged.csv"], "line 3", 2),
    ("word in csv", [*TRAIN, "--dataset", "data/words.csv"], "non-numeric", 2),
    ("binary csv", [*TRAIN, "--dataset", "data/binary.csv"], "cannot read the CSV", 2),
    ("broken yaml", [*SEARCH, "--space", "spaces/broken.yaml"], "not valid YAML", 2),
    ("python tag in yaml", [*SEARCH, "--space", "spaces/python.yaml"],
     "no Python objects", 2),
    ("deep json space", [*SEARCH, "--space", "spaces/deep.json"], "nested too deeply", 2),
    ("deep yaml space", [*SEARCH, "--space", "spaces/deep.yaml"], "nested too deeply", 2),
    ("zero trials in a file", [*SEARCH, "--space", "spaces/trials0.yaml"],
     "trials must be", 2),
    ("binary space file", [*SEARCH, "--space", "spaces/binary.yaml"], "not a text file", 2),
    # model and checkpoint files
    ("infinite size", ["predict", "models/inf_sizes.npz", "moons"], "sizes", 2),
    ("1e12 size", ["predict", "models/huge_sizes.npz", "moons"], "W1 has shape", 2),
    ("nan weights", ["predict", "models/nan_weights.npz", "moons"], "NaN", 2),
    ("zero std", ["predict", "models/zero_std.npz", "moons"], "std", 2),
    ("object array in model", ["predict", "models/pickle_member.npz", "moons"],
     "carries a pickle", 2),
    ("pickle member in model", ["predict", "models/raw_member.npz", "moons"],
     "not a numpy array", 2),
    ("deep json in model", ["predict", "models/deep_meta.npz", "moons"],
     "nested too deeply", 2),
    ("text named model", ["predict", "models/text.npz", "moons"], "not an .npz archive", 2),
    ("checkpoint as model", ["predict", "run/checkpoint.npz", "moons"], "checkpoint", 2),
    ("viz of a bad model", ["viz", "models/inf_sizes.npz"], "sizes", 2),
    ("viz of a folder without a model", ["viz", "user"], "without a model.npz", 2),
    ("gradcheck of a bad model", ["gradcheck", "models/nan_weights.npz"], "NaN", 2),
    ("features near 1e300", ["predict", "run", "data/far.csv", "--out", "p.csv"],
     "far outside", 2),
    # run folders and their settings
    ("run.json {}", [*TRAIN, "--resume", "--out", "runs/empty_json"], "missing", 2),
    ("run.json []", [*TRAIN, "--resume", "--out", "runs/list_json"], "holds a list", 2),
    ("run.json extra key", [*TRAIN, "--resume", "--out", "runs/extra_key"], "colour", 2),
    ("run.json deep", [*TRAIN, "--resume", "--out", "runs/deep_json"], "nested too deeply",
     2),
    ("run.json bad hidden", [*TRAIN, "--resume", "--out", "runs/bad_config"], "hidden", 2),
    ("best_score a string", [*TRAIN, "--resume", "--out", "runs/best_score", "--epochs", "3"],
     "best_score", 2),
    ('search.json {"grid": 5}', [*SEARCH, "--resume", "--out", "runs/search_grid5"],
     "grid must be", 2),
    ("search.json []", [*SEARCH, "--resume", "--out", "runs/search_list"], "holds a list", 2),
    ("resume a non-run", [*TRAIN, "--resume", "--out", "user"], "run.json", 2),
    ("train over user files", [*TRAIN, *TINY, "--out", "user"], "no autograd-flow run wrote",
     2),
    ("train over viz's graph.svg", ["train", "--no-progress", *TINY, "--out", "."],
     "graph.svg", 2),
    ("search over user files", [*SEARCH, "--grid", "lr=0.1", "--set", "epochs=1",
                                "--dataset", "moons", "--n-samples", "100", "--out", "user"],
     "results.csv", 2),
    ("second run, no overwrite", [*TRAIN, *SMALL[:-2], "--out", "run"], "already holds a run",
     2),
    ("out is a file", [*TRAIN, *TINY, "--out", "afile"], "is a file", 2),
    # files written where the user names them
    ("predict over the run's model", ["predict", "run", "moons", "--out", "run/model.npz"],
     "a file of the run", 2),
    ("predict over the run's settings, forced", ["predict", "run", "moons", "--out",
                                                 "run/run.json", "--overwrite"],
     "never replaces a run's files", 2),
    ("predict over the model it reads", ["predict", "models/text.npz", "moons", "--out",
                                         "models/text.npz", "--overwrite"], "reads", 2),
    ("predict over a user file", ["predict", "run", "moons", "--out", "user/results.csv"],
     "add --overwrite", 2),
    ("predict into a missing folder", ["predict", "run", "moons", "--out", "new/dir/p.csv"],
     "does not exist", 2),
    ("predict into a file", ["predict", "run", "moons", "--out", "afile/p.csv"],
     "not a folder", 2),
    ("predict out is a folder", ["predict", "run", "moons", "--out", "user"], "is a folder",
     2),
    ("viz over viz's graph.svg", ["viz", "--hidden", "4"], "graph.svg exists", 2),
    ("viz over a user file", ["viz", "run", "-o", "user/graph.svg"], "add --overwrite", 2),
    ("viz over a run's graph, forced", ["viz", "run", "-o", "runs/drawn/graph.svg",
                                        "--overwrite"], "a file of the run in runs/drawn", 2),
    ("viz into a missing folder", ["viz", "-o", "new/dir/g.svg"], "does not exist", 2),
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return build_workspace(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_one_line_and_changes_nothing(case, workspace, tmp_path):
    _, args, named, status = case
    here = tmp_path / "work"
    shutil.copytree(workspace, here)
    before = snapshot(here)
    done = run_cli(args, here)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert len(lines) == 1, done.stderr
    assert named in lines[0], lines[0]
    assert lines[0].startswith("autograd-flow"), lines[0]
    assert "allow_pickle" not in lines[0]
    assert snapshot(here) == before  # no file changed, created or removed


def test_the_table_covers_every_command():
    commands = {case[1][0] for case in CASES}
    assert commands >= {"train", "search", "predict", "viz", "gradcheck", "tour"}
