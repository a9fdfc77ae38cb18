"""Graph files (af.load) from hostile hands: a truncated or bit-flipped file, a member
that is a pickle, a box kind that names os.system, arrays that would not fit in memory
or unpack to far more than declared (refused from the headers, before anything is
unpacked), references to boxes that do not exist yet, settings nested without end:
each is one GraphFileError naming the file, with nothing run and nothing written."""
from __future__ import annotations

import json
import pickle
import tracemalloc
import zipfile
from pathlib import Path

import hostile_support
import numpy as np
import pytest

import autograd_flow as af
from autograd_flow.errors import GraphFileError, ModelFileError
from autograd_flow.io import load_model, read_archive, write_archive
from autograd_flow.nn import MLP


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, af.FlowGraph, dict]:
    """A small MLP's training graph, fed once and saved to graph.npz."""
    rng = np.random.default_rng(0)
    mlp = MLP([3, 4, 2], "tanh", seed=0)
    x, y = af.Input("x"), af.Input("y")
    graph = af.FlowGraph(af.softmax_cross_entropy(mlp(x), y))
    feed = {"x": rng.standard_normal((5, 3)), "y": rng.integers(0, 2, 5)}
    graph.fprop(feed)
    path = tmp_path / "graph.npz"
    af.save(graph, path)
    return path, graph, feed


def edited(path: Path, name: str, edit) -> Path:
    """A copy of the graph file ``path`` whose metadata ``edit(meta)`` changed in place."""
    arrays, meta = read_archive(path, "graph")
    edit(meta)
    target = path.with_name(name)
    write_archive(target, arrays, meta)
    return target


def refused(path: Path, message: str, boxes=None) -> None:
    """af.load raises one GraphFileError matching ``message``, runs and writes nothing."""
    folder = path.parent
    before = hostile_support.snapshot(folder)
    with pytest.raises(GraphFileError, match=message):
        af.load(path, boxes=boxes)
    assert hostile_support.snapshot(folder) == before


def test_every_truncation_is_refused(saved) -> None:
    path, _, _ = saved
    data = path.read_bytes()
    for length in range(0, len(data), 97):
        path.with_name("cut.npz").write_bytes(data[:length])
        refused(path.with_name("cut.npz"), r"cut.npz")


def test_a_flipped_bit_is_refused_or_changes_nothing(saved) -> None:
    """A flip in an array, in the JSON or in a header fails the zip's checksums or the
    file's checks; one in a field nothing reads (a date) loads the same graph."""
    path, graph, feed = saved
    data = path.read_bytes()
    expected = graph.fprop(feed)
    flipped = path.with_name("flipped.npz")
    loaded = 0
    for position in [*range(0, len(data), 29), len(data) - 3]:
        changed = bytearray(data)
        changed[position] ^= 1
        flipped.write_bytes(changed)
        try:
            again = af.load(flipped)
        except GraphFileError:
            continue
        loaded += 1
        assert np.array_equal(again.fprop(feed), expected), position
    assert loaded < len(data) // 29 // 10  # nearly every flip is caught


def test_a_damaged_zip_directory_is_a_model_file_error_too(saved) -> None:
    """(The offset of the zip directory pointing past the end made zipfile raise a bare
    OSError, for model files as well.)"""
    path, _, _ = saved
    data = bytearray(path.read_bytes())
    data[-3] ^= 1
    path.write_bytes(data)
    refused(path, r"graph file .*graph.npz: its entry .* is not a numpy array")
    with pytest.raises(ModelFileError, match="is not a numpy array"):
        load_model(path)


def test_a_pickle_is_never_loaded(saved, tmp_path) -> None:
    path, _, _ = saved
    arrays, meta = read_archive(path, "graph")
    evil = tmp_path / "evil.npz"
    np.savez(evil, **arrays, __meta__=np.array(json.dumps(meta)),
             evil=np.array([print], dtype=object))
    refused(evil, r"refusing to load graph file .*evil.npz: it carries a pickle")
    raw = tmp_path / "raw.npz"
    with zipfile.ZipFile(raw, "w") as archive:
        archive.writestr("a0.npy", pickle.dumps(arrays["a0"]))
        archive.writestr("__meta__.npy", pickle.dumps(json.dumps(meta)))
    refused(raw, r"graph file .*raw.npz: its entry 'a0' is not a numpy array")
    whole = tmp_path / "whole.npz"
    whole.write_bytes(pickle.dumps({"graph": 1}))
    refused(whole, "it carries a pickle")


@pytest.mark.parametrize("node, message", [
    ({"kind": "os.system", "args": ["touch pwned"]},
     r"box 0 \('x'\) is of kind 'os.system', which is no primitive box of autograd_flow"),
    ({"kind": "__import__", "args": ["os"]}, "of kind '__import__', which is no primitive"),
    ({"kind": "Box", "args": []}, "of kind 'Box', which is no primitive"),
    ({"kind": None, "custom": "system", "args": ["touch pwned"]},
     r"is a box of your own class 'system', which loads only with its class passed"),
    ({"kind": None, "custom": None}, "node 0 names no kind"),
    ({"kind": "Input", "args": ["x"], "kwargs": {"__class__": 1}},
     r"box 0 \('x'\) cannot be made as Input\(...\): TypeError"),
    ({"kind": "Input", "args": [{"callable": "os.system"}]}, "the setting .* is not one"),
])
def test_a_box_kind_is_only_looked_up_never_imported_or_called(saved, node, message,
                                                              monkeypatch) -> None:
    path, _, _ = saved
    monkeypatch.chdir(path.parent)
    target = edited(path, "kind.npz", lambda meta: meta["nodes"][0].update(node))
    refused(target, message)
    assert not (path.parent / "pwned").exists()


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.update(version=99), r"graph format version 99, newer than this autograd_flow "
                                     r"reads \(1\): upgrade autograd_flow"),
    (lambda m: m.update(version="1"), "its format version '1' is not a whole number"),
    (lambda m: m.update(format="autograd_flow.learn.checkpoint"),
     "is not an autograd_flow graph file"),
    (lambda m: m.update(nodes={"0": {}}), "its 'nodes' entry is not a list of dicts"),
    (lambda m: m["nodes"][3]["args"].__setitem__(0, {"box": 99}),
     "node 3 refers to box 99, which comes later or does not exist"),
    (lambda m: m["nodes"][3]["args"].__setitem__(0, {"box": 3}),
     "node 3 refers to box 3, which comes later"),
    (lambda m: m["nodes"][3]["args"].__setitem__(0, {"box": -1}), "box -1"),
    (lambda m: m.update(outputs=[1000]), "an output refers to box 1000"),
    (lambda m: m.update(wrt=["W1"]), "its 'wrt' entry is not a list of ints"),
    (lambda m: m["nodes"][1]["args"].__setitem__(0, "a string"),
     r"box 1 \('W1'\) cannot be made as Parameter\(...\): ValueError"),
    (lambda m: m["nodes"][1].update(kind="Constant", args=["a string", "W1"]),
     r"box 1 \('W1'\): its value is ndarray <U8, not numbers"),
    (lambda m: m["nodes"][1]["args"].__setitem__(0, {"array": "missing"}),
     "the setting .* is not one"),
    (lambda m: m["nodes"][0].update(fed={"shape": [-1], "dtype": "<f8"}),
     "its feed .* is not a shape and a dtype"),
    (lambda m: m["nodes"][0].update(fed={"shape": [None], "dtype": "|O"}),
     "its feed .* is not a shape and a dtype"),
    (lambda m: m["nodes"][0]["kwargs"].update(dtype={"dtype": "|O"}), "the setting"),
    (lambda m: m["nodes"][3].update(scopes=[7]), "its scopes .* are not indices"),
    (lambda m: m["nodes"][0]["args"].append(_nested(100)), "nested more than 32 deep"),
    (lambda m: m["arrays"]["a0"].update(dtype="|O"), "the array 'a0' is declared as"),
    (lambda m: m["arrays"]["a0"].update(shape=[2 ** 40]), r"its array 'a0' is not the "
                                                          r"\(1099511627776,\) float64 it "
                                                          "declares"),
    (lambda m: m.update(info=[1]), "its 'info' entry is not an object"),
])
def test_edited_structure_is_refused_naming_the_file(saved, edit, message) -> None:
    path, _, _ = saved
    refused(edited(path, "edited.npz", edit), r"edited.npz.*" + message)


def _nested(depth: int):
    value = 1
    for _ in range(depth):
        value = {"tuple": [value]}
    return value


def test_deeply_nested_json_is_refused(saved, tmp_path) -> None:
    path, _, _ = saved
    arrays, _ = read_archive(path, "graph")
    deep = tmp_path / "deep.npz"
    np.savez(deep, **arrays, __meta__=np.array("[" * 100_000 + "]" * 100_000))
    refused(deep, "its metadata: the JSON is nested too deeply")


def test_arrays_too_large_are_refused_from_their_headers(saved, tmp_path) -> None:
    """A header that declares 2**40 rows, and a deflated member of a few KiB that
    unpacks to 80 MB where the JSON declares 96 bytes: refused before unpacking."""
    path, _, _ = saved
    arrays, meta = read_archive(path, "graph")
    from numpy.lib import format as npy

    huge = tmp_path / "huge.npz"
    with zipfile.ZipFile(huge, "w") as archive:
        archive.writestr("a0.npy", hostile_support._npy_bytes(
            {"descr": "<f8", "fortran_order": False, "shape": (2 ** 40, 2)},
            np.zeros(8).tobytes(), npy))
        archive.writestr("__meta__.npy", hostile_support._npy_bytes(
            None, np.array(json.dumps(meta)), npy))
    refused(huge, r"graph file .*huge.npz: its entry 'a0' declares shape \(1099511627776, 2\)")
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            if name != "a0":
                archive.writestr(f"{name}.npy", hostile_support._npy_bytes(None, array, npy))
        with archive.open("a0.npy", "w", force_zip64=True) as member:  # 80 MB of zeros
            npy.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False,
                                                "shape": (10 ** 7,)})
            for _ in range(80):
                member.write(bytes(10 ** 6))
        archive.writestr("__meta__.npy", hostile_support._npy_bytes(
            None, np.array(json.dumps(meta)), npy))
    assert bomb.stat().st_size < 2 ** 20
    tracemalloc.start()
    refused(bomb, r"its entry 'a0' declares shape \(10000000,\) float64 \(76.3 MiB\) but "
                  r"should hold shape \(4, 3\)")
    assert tracemalloc.get_traced_memory()[1] < 2 ** 24
    tracemalloc.stop()


def test_the_constructor_refusing_an_argument_is_one_error(saved) -> None:
    path, _, _ = saved

    def split(meta):  # a Split with a part that does not exist
        meta["nodes"].append({"kind": "Split", "args": [{"box": 0}, 3, 0, 7, False],
                              "kwargs": {}, "name": "s", "created_at": "-", "scopes": []})

    refused(edited(path, "split.npz", split),
            r"box \d+ \('s'\) cannot be made as Split\(...\): BoxError: .*part 7 does not "
            "exist")


def test_the_command_line_refuses_hostile_graph_files_in_one_line(saved, tmp_path,
                                                                  monkeypatch) -> None:
    """predict and viz, as subprocesses: exit status 2, one line naming the file, no
    traceback, nothing run or written."""
    path, _, _ = saved
    monkeypatch.chdir(tmp_path)
    arrays, meta = read_archive(path, "graph")
    evil = dict(meta, nodes=[dict(meta["nodes"][0], kind="os.system", args=["touch pwned"]),
                             *meta["nodes"][1:]])
    write_archive(tmp_path / "system.npz", arrays, evil)
    (tmp_path / "cut.npz").write_bytes(path.read_bytes()[:3000])
    np.savez(tmp_path / "pickle.npz", **arrays, __meta__=np.array(json.dumps(meta)),
             evil=np.array([print], dtype=object))
    write_archive(tmp_path / "newer.npz", arrays, {**meta, "version": 2})
    before = hostile_support.snapshot(tmp_path)
    for name, message in [("system.npz", "of kind 'os.system', which is no primitive box"),
                          ("cut.npz", "cut.npz: it is truncated or corrupted"),
                          ("pickle.npz", "pickle.npz: it carries a pickle"),
                          ("newer.npz", "graph format version 2, newer than this")]:
        for args in (["predict", name, "moons"], ["viz", name, "-o", "out.svg"]):
            result = hostile_support.run_cli(args, tmp_path)
            assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and message in lines[0], lines
            assert lines[0].startswith(f"autograd-flow {args[0]}: error: ")
    assert hostile_support.snapshot(tmp_path) == before
    assert not (tmp_path / "pwned").exists()
