"""The benchmark script runs (a smoke run: speed is measured by `make bench`, not here)."""
import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "benchmarks" / "bench_step.py"


def test_benchmark_script_prints_its_table(capsys):
    spec = importlib.util.spec_from_file_location("bench_step", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--repeat", "2", "--no-peers"])
    out = capsys.readouterr().out
    for workload in ("W1 batch 1", "W1 batch 32", "W1 batch 256", "W2 batch 512", "W3 200 boxes",
                     "W4 min-char-rnn"):
        assert f"| {workload} |" in out
    assert "peak numpy memory" in out and "microseconds per box" in out


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPT.parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_strict_floor_computes_autograd_flows_loss_and_gradients():
    """The floor the benchmark divides by is the same training step, not a cheaper one:
    its loss and gradients are the graph's (float64, tanh and relu, batch 1 and 5)."""
    import numpy as np

    import autograd_flow as af

    floor = _module("floor")
    rng = np.random.default_rng(0)
    for activation, batch in (("tanh", 1), ("relu", 5)):
        sizes = [6, 7, 5, 3]
        layers = [(rng.standard_normal((o, i)), rng.standard_normal(o))
                  for i, o in zip(sizes[:-1], sizes[1:])]
        X, Y = rng.standard_normal((batch, sizes[0])), rng.integers(0, 3, batch)
        loss, grads = floor.FloorMLP(layers, activation, X, Y, 0.1, 1e-2).gradients()
        x = af.Input("x")
        params = [af.Parameter(p.copy()) for layer in layers for p in layer]
        h = x
        for k in range(0, len(params), 2):
            h = af.linear(h, params[k], params[k + 1])
            if k < len(params) - 2:
                h = af.tanh(h) if activation == "tanh" else af.relu(h)
        objective = af.softmax_cross_entropy(h, Y) + 1e-2 * af.l2_penalty(params[::2])
        graph = af.FlowGraph(objective, compile=False)
        np.testing.assert_allclose(graph.fprop({x: X}), loss, rtol=1e-12)
        expected = graph.bprop()
        for p, g in zip(params, grads):
            np.testing.assert_allclose(g, expected[p], rtol=1e-10, atol=1e-14)


def test_min_char_rnn_ported_trains_as_karpathys_step():
    """W4 compares like with like: from the same weights on the same windows, the port
    (default path and interpreter) gives Karpathy's losses step after step."""
    rnn = _module("min_char_rnn")
    data = rnn.text()
    start = rnn.weights(rnn.Windows(data, 4).vocab)
    steps = [rnn.karpathy_step(start, rnn.Windows(data, 4)),
             rnn.flow_step(start, rnn.Windows(data, 4)),
             rnn.flow_step(start, rnn.Windows(data, 4), compile=False)]
    for _ in range(12):  # three passes over the windows: the state carried, plans made
        reference, *ported = (step() for step in steps)
        for loss in ported:
            assert abs(loss - reference) <= 1e-7 * reference  # summation order only


def test_the_digits_benchmark_trains_every_engine_to_the_same_error(capsys):
    """The lecture's per-example SGD: the floor and autograd_flow train the same model
    on the same example order, so they reach the same test error."""
    bench = _module("bench_digits")
    bench.main(["--epochs", "1", "--hidden", "8", "--no-peers"])
    out = capsys.readouterr().out
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[2].strip(" |")
            for line in out.splitlines() if line.startswith("| ") and "%" in line}
    assert rows["numpy floor"] == rows["autograd_flow (default)"]
    jit = rows.get("autograd_flow jit=True")
    if jit is not None:  # the whole step compiled: the same error within 0.3 points
        assert abs(float(jit.rstrip("%")) - float(rows["numpy floor"].rstrip("%"))) <= 0.3
