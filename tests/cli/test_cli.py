"""The command line: every sub-command has --help; tour and gradcheck run."""
import pytest

from autograd_flow import cli


@pytest.mark.parametrize("command", [name for name, _, _ in cli.COMMANDS])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"autograd-flow {command}" in out and "--" in out


def test_tour_prints_gradients_and_checks_them(capsys):
    assert cli.main(["tour", "--batch", "3"]) == 0
    out = capsys.readouterr().out
    for name in ("W1", "b1", "W2", "b2"):
        assert f"d loss / d {name}" in out
    assert "agree with central differences" in out


def test_gradcheck_command_passes_on_a_correct_model(capsys):
    assert cli.main(["gradcheck", "--dataset", "moons", "--hidden", "5", "--l1", "0.01",
                     "--examples", "4"]) == 0
    out = capsys.readouterr().out
    assert "MLP(sizes=[2, 5, 2]" in out and "0 of" in out


def test_errors_are_reported_without_a_traceback(capsys):
    assert cli.main(["gradcheck", "--dataset", "no-such-file.csv"]) == 2
    err = capsys.readouterr().err
    assert "autograd-flow gradcheck: error:" in err and "no-such-file.csv" in err


def test_version(capsys):
    from autograd_flow import __version__

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"autograd-flow {__version__}"


def test_gradcheck_defaults_are_the_training_defaults(capsys):
    from autograd_flow.learn.training import TrainConfig

    assert cli.main(["gradcheck", "--max-entries", "20"]) == 0
    out = capsys.readouterr().out
    hidden = list(TrainConfig().hidden)
    assert f"MLP(sizes=[64, {', '.join(map(str, hidden))}, 10], activation='tanh')" in out
    assert "loss: mean softmax cross-entropy + 0.0001 * sum W**2" in out  # with its L2


def test_gradcheck_checks_a_saved_model_with_its_own_loss(tmp_path, capsys):
    import numpy as np

    from autograd_flow.io import save_model
    from autograd_flow.learn.model import Model
    from autograd_flow.nn import MLP

    regression = Model(MLP([3, 4, 1]), np.zeros(3), np.ones(3), task="regression",
                       info={"config": {"l1": 0.0, "l2": 0.0}})
    save_model(tmp_path / "m.npz", regression)
    assert cli.main(["gradcheck", str(tmp_path / "m.npz")]) == 0
    assert "loss: mean squared error\n" in capsys.readouterr().out  # no penalty
