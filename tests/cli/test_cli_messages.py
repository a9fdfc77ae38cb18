"""What the command line says, run as a user runs it (a subprocess): ``--hidden 0`` is
refused with the way to ask for no hidden layer (it used to train one silently), and
gradcheck's first line names the loss it checks in words (it said "loss loss")."""
import pytest

from tests.hostile.hostile_support import run_cli


@pytest.mark.parametrize("command", [
    ["train", "--dataset", "moons", "--n-samples", "100", "--epochs", "1", "--no-plots"],
    ["gradcheck", "--examples", "2"],
    ["viz", "-o", "graph.svg"],
])
@pytest.mark.parametrize("hidden", ["0", "0,8", "8,0"])
def test_a_hidden_layer_of_zero_units_is_refused_and_says_to_write_none(command, hidden,
                                                                          tmp_path):
    result = run_cli([*command, "--hidden", hidden], tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "--hidden" in result.stderr and "write 'none' for no hidden layer" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no run folder, no picture


def test_none_is_how_to_ask_for_no_hidden_layer(tmp_path):
    result = run_cli(["gradcheck", "--hidden", "none", "--n-in", "3", "--n-out", "2",
                      "--examples", "2"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("MLP(sizes=[3, 2], ")


@pytest.mark.parametrize("options, loss", [
    ([], "mean softmax cross-entropy + 0.0001 * sum W**2"),  # the training defaults
    (["--l1", "0.01", "--l2", "0"], "mean softmax cross-entropy + 0.01 * sum |W|"),
    (["--task", "regression", "--l2", "0"], "mean squared error"),
])
def test_gradcheck_says_which_loss_it_checks(options, loss, tmp_path):
    result = run_cli(["gradcheck", "--hidden", "4", "--examples", "8", *options], tmp_path)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first == (f"MLP(sizes=[64, 4, {1 if 'regression' in options else 10}], "
                     f"activation='tanh') on 8 random standardized examples, loss: {loss}")
