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
    for workload in ("W1 batch 1", "W1 batch 32", "W1 batch 256", "W2 batch 512", "W3 200 boxes"):
        assert f"| {workload} |" in out
    assert "peak numpy memory" in out and "microseconds per box" in out
