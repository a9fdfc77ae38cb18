"""Pictures under hostile text and failures: column names and class labels from a CSV
reach the plots as text (a ``$`` is no formula; CJK and emoji draw without a warning per
glyph), a picture that fails costs the run nothing but that picture (one warning line,
exit 0, the model and the other pictures written), box names with control characters,
quotes, markup or great length are drawn escaped, and deep graphs can be laid out left
to right."""
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hostile_support import run_cli

import autograd_flow as af
from autograd_flow import cli, viz
from autograd_flow.io import load_model
from autograd_flow.learn import plots

TINY = ["--hidden", "4", "--epochs", "2", "--no-progress"]


def csv_file(path, header, labels=("0", "1")):
    """60 rows of 2 features and a label (``labels`` by the sign of the first)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    rows = (f"{a:.6f},{b:.6f},{labels[int(a > 0)]}\n" for a, b in X)
    path.write_text(header + "\n" + "".join(rows), encoding="utf-8")
    return path


def test_a_dollar_in_a_csv_header_or_label_is_text_not_a_formula(tmp_path):
    data = csv_file(tmp_path / "$cash$.csv", r"$\badcmd$,f2,label", (r"$\frac{$", "$5"))
    done = run_cli(["train", "--dataset", str(data), *TINY, "--out", "run"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    for name in ("model.npz", "curves.png", "regions.png", "graph.svg"):
        assert (tmp_path / "run" / name).stat().st_size > 0, name
    figure = plots.decision_regions(load_model(tmp_path / "run"), np.zeros((2, 2)),
                                    np.array([r"$\frac{$", "$5"]), tmp_path / "regions.png")
    axes = figure.axes[0]
    assert axes.get_xlabel() == r"$\badcmd$" and not axes.xaxis.label.get_parse_math()
    history = json.loads((tmp_path / "run" / "metrics.json").read_text())["history"]
    plots.learning_curves(history, tmp_path / "curves.png", title=r"$\badcmd$ data")


def test_non_ascii_headers_draw_without_glyph_warnings(tmp_path):
    data = csv_file(tmp_path / "身体.csv", "身高,体重😀,标签", ("猫", "🐶"))
    done = run_cli(["train", "--dataset", str(data), *TINY, "--out", "run"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Glyph" not in done.stderr and done.stderr == ""
    assert (tmp_path / "run" / "regions.png").stat().st_size > 0


def test_a_picture_that_fails_keeps_the_finished_run(tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    small = ["train", "--dataset", "moons", "--n-samples", "200", *TINY, "--out", str(run)]
    assert cli.main([*small, "--epochs", "1"]) == 0
    assert (run / "regions.png").exists()

    def broken(*args, **kwargs):
        raise RuntimeError("the plotting library\nfell over")

    monkeypatch.setattr(plots, "decision_regions", broken)
    capsys.readouterr()
    assert cli.main([*small, "--overwrite"]) == 0  # 2 epochs, replacing the 1-epoch run
    printed = capsys.readouterr()
    warnings = [line for line in printed.err.splitlines() if line]
    assert len(warnings) == 1, printed.err
    assert "regions.png" in warnings[0] and "fell over" in warnings[0]
    assert json.loads((run / "metrics.json").read_text())["epochs_run"] == 2
    for name in ("model.npz", "checkpoint.npz", "metrics.json", "curves.png", "graph.svg"):
        assert (run / name).stat().st_size > 0, name
    assert not (run / "regions.png").exists()  # not the replaced run's picture
    assert "regions.png" not in printed.out.splitlines()[-1]  # the files the run wrote

    monkeypatch.undo()
    resume = ["train", "--resume", "--no-progress", "--out", str(run), "--epochs"]
    assert cli.main([*resume, "3"]) == 0
    assert (run / "regions.png").exists()
    monkeypatch.setattr(plots, "learning_curves", broken)
    assert cli.main([*resume, "4"]) == 0
    assert not (run / "curves.png").exists()  # not a picture of fewer epochs than the model
    assert "curves.png was not drawn" in capsys.readouterr().err


HOSTILE_NAMES = ["\n", "red\x1b[31m", "form\x0cfeed", "tab\tbed", "nul\x00l", "bidi\u202eeid",
                 'say "hi"', "it's", "back\\slash", "\\N\\G\\L", "trailing\\",
                 "<b>&amp;</b>", "]]>", "x" * 5000]


@pytest.mark.parametrize("where", ["box", "input", "scope", "title"])
def test_box_names_are_drawn_escaped(where, tmp_path):
    made = []
    for name in HOSTILE_NAMES:
        if where == "input":
            made.append(af.tanh(af.Input(name)))
        elif where == "scope":
            with af.scope("block", name):
                made.append(af.tanh(af.Input("x")) * 2.0)
        else:
            made.append(af.tanh(af.Input("x"), name=name if where == "box" else "h"))
    title = "".join(HOSTILE_NAMES[:-1]) if where == "title" else None
    for collapse in (False, True):
        path = viz.to_svg(made, tmp_path / f"{where}{collapse}.svg", collapse=collapse,
                          title=title)
        root = ET.fromstring(path.read_text(encoding="utf-8"))
        drawn = " ".join(t.text for t in root.iter("{http://www.w3.org/2000/svg}text")
                         if t.text)
        tips = " ".join(a.get("{http://www.w3.org/1999/xlink}title", "")
                        for a in root.iter("{http://www.w3.org/2000/svg}a"))
        for shown in ("\\n", "red\\x1b[31m", "form\\x0cfeed", "nul\\x00l", "bidi\\u202eeid",
                      'say "hi"', "back\\slash", "\\N\\G\\L", "<b>&amp;</b>"):
            assert shown in drawn, (shown, collapse)
            if where != "title":
                assert shown in tips, (shown, collapse)
        assert "\x1b" not in drawn and "\x0c" not in tips


def test_a_very_long_name_is_shortened_in_the_label_and_kept_in_the_tooltip():
    source = viz.to_dot(af.tanh(af.Input("x" * 5000))).source
    assert "x" * 60 + "…" in source and "x" * 1001 not in source


def test_rankdir_lays_a_deep_graph_out_left_to_right(tmp_path):
    sizes = {}
    for rankdir in ("TB", "LR"):
        path = tmp_path / f"{rankdir}.svg"
        done = run_cli(["viz", "--hidden", "16,16", "--n-in", "2", "--n-out", "1", "--expand",
                        "--task", "regression", "--rankdir", rankdir, "-o", str(path)], tmp_path)
        assert done.returncode == 0, done.stderr
        root = ET.fromstring(path.read_text(encoding="utf-8"))
        sizes[rankdir] = [float(re.sub("pt$", "", root.get(side)))
                          for side in ("width", "height")]
    (tb_width, tb_height), (lr_width, lr_height) = sizes["TB"], sizes["LR"]
    assert tb_height > tb_width and lr_width > lr_height
    x = af.Input("x")
    assert "rankdir=LR" in viz.to_dot(af.tanh(x), rankdir="LR").source
    assert "rankdir=TB" in viz.to_dot(af.tanh(x)).source  # the default stays
    with pytest.raises(ValueError, match="rankdir must be one of TB, LR, BT, RL"):
        viz.to_dot(af.tanh(x), rankdir="sideways")
