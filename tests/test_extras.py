"""The base install (numpy, graphviz) runs the engine, --help, --version, tour, viz and
gradcheck; a command that needs an extra says in one line which pip install brings it.
Each case runs in a fresh interpreter where the optional packages cannot be imported
(``sys.modules[name] = None``), as on a machine without them."""
import subprocess
import sys

import pytest

from autograd_flow import extras

EVERY_EXTRA = sorted(extras.EXTRAS)


def run(args, blocked=EVERY_EXTRA, cwd=None):
    code = ("import sys\n"
            f"for name in {blocked!r}:\n"
            "    sys.modules[name] = None\n"
            "from autograd_flow.cli import main\n"
            f"sys.exit(main({args!r}))\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["train", "--help"],
                                  ["search", "--help"], ["predict", "--help"],
                                  ["tour", "--batch", "2"],
                                  ["gradcheck", "--hidden", "4", "--n-in", "3", "--n-out", "2"]])
def test_the_base_install_runs_these(args):
    done = run(args)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_viz_runs_on_the_base_install(tmp_path):
    done = run(["viz", "--hidden", "5", "-o", str(tmp_path / "g.dot")])
    assert done.returncode == 0, done.stderr
    assert "digraph" in (tmp_path / "g.dot").read_text()


def test_the_engine_imports_nothing_optional():
    code = ("import sys\n"
            f"for name in {EVERY_EXTRA!r}:\n"
            "    sys.modules[name] = None\n"
            "import numpy as np, autograd_flow as af\n"
            "from autograd_flow.optim import Adam\n"
            "w = af.Parameter(np.ones(3)); g = af.FlowGraph(af.sum(af.tanh(w)))\n"
            "g.fprop(); Adam([w]).step(g.bprop()); af.gradcheck(g)\n"
            "print(af.__version__)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() and done.stdout.strip() != "0+unknown"


@pytest.mark.parametrize("args, blocked, extra, said", [
    (["train", "--dataset", "moons"], EVERY_EXTRA, "learn", "scikit-learn is not installed"),
    (["train", "--no-plots", "--no-progress"], ["matplotlib", "tqdm"], None, None),
    (["train", "--no-progress"], ["matplotlib"], "learn", "matplotlib is not installed"),
    (["search", "--grid", "lr=0.1"], EVERY_EXTRA, "learn", "scikit-learn is not installed"),
    (["search", "--space", "space.yaml"], ["yaml"], "search", "pyyaml is not installed"),
    (["search", "--grid", "lr=0.1", "--scheduler", "tcp://127.0.0.1:1"], ["distributed"],
     "search", "--scheduler needs dask[distributed], which is not installed"),
    (["predict", "model.npz", "moons"], ["sklearn"], "learn", "scikit-learn is not installed"),
])
def test_a_missing_extra_is_one_line_that_says_what_to_install(tmp_path, args, blocked,
                                                               extra, said):
    """The line names the command once ("autograd-flow train: error: autograd-flow train
    needs ..." said it twice)."""
    (tmp_path / "space.yaml").write_text("method: grid\nspace:\n  lr: [0.1]\n")
    if args[0] == "predict":
        from autograd_flow.io import save_model
        from autograd_flow.learn.model import Model
        from autograd_flow.nn import MLP

        save_model(tmp_path / "model.npz", Model(MLP([2, 3, 2]), [0, 0], [1, 1]))
    if extra is None:  # plots and progress off: training needs neither
        args = [*args, "--dataset", "moons", "--hidden", "3", "--epochs", "1", "--out", "r"]
        done = run(args, blocked, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return
    done = run([*args, "--out", "out"] if args[0] != "predict" else args, blocked,
               cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (f'autograd-flow {args[0]}: error: {said}: '
                           f'pip install "autograd_flow[{extra}]"\n')
    assert not (tmp_path / "out").exists()  # checked before any work


@pytest.mark.parametrize("module, blocked, hint", [
    ("autograd_flow.testing", "hypothesis",
     'autograd_flow.testing needs hypothesis, which is not installed: '
     'pip install "autograd_flow[testing]"'),
    ("autograd_flow.sklearn", "sklearn",
     'autograd_flow.sklearn needs scikit-learn, which is not installed: '
     'pip install "autograd_flow[learn]"'),
])
def test_importing_a_module_without_its_extra_says_what_to_install(module, blocked, hint):
    """One line naming the extra, not Python's bare "No module named ..."; still a
    ModuleNotFoundError, so ``except ModuleNotFoundError`` and pytest.importorskip work."""
    code = ("import sys\n"
            f"sys.modules[{blocked!r}] = None\n"
            "try:\n"
            f"    import {module}\n"
            "except ModuleNotFoundError as error:\n"
            "    print(error.name.partition('.')[0]); print(error)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{blocked}\n{hint}\n"


def test_install_hint_names_only_known_extras():
    assert extras.install_hint("hypothesis.extra.numpy", "af.testing") == (
        'af.testing needs hypothesis, which is not installed: '
        'pip install "autograd_flow[testing]"')
    assert extras.install_hint("sklearn", "") == (  # after "autograd-flow train: error: "
        'scikit-learn is not installed: pip install "autograd_flow[learn]"')
    assert extras.install_hint("numpy") is None


def test_the_progress_bar_suits_where_it_runs(monkeypatch):
    import types

    from tqdm import tqdm as text_bar
    from tqdm.notebook import tqdm as widget_bar

    assert isinstance(extras.progress_bar(total=3, disable=True), extras._NoBar)
    assert extras.tqdm_class() is text_bar  # a terminal
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    real_find_spec = extras.importlib.util.find_spec
    if real_find_spec("ipywidgets"):
        assert extras.tqdm_class() is widget_bar  # Jupyter with widgets
    monkeypatch.setattr(extras.importlib.util, "find_spec",
                        lambda name: None if name == "ipywidgets" else real_find_spec(name))
    assert extras.tqdm_class() is text_bar  # Jupyter without: no "IProgress not found"
