"""Misusing the engine's tools: drawing a graph far too large to lay out. (Item 8 of the
issue, FlowGraph's constructor errors and bprops returning non-numbers, is tested at the
end of tests/test_errors.py.)

Graphviz's layout time grows with the square of the number of nodes: the chain of 20,003
boxes below took 150 s to draw unbounded on the 2-core test machine, 0.8 s bounded (the
issue saw over 120 s). ``to_dot``/``to_svg`` now draw at most ``max_nodes`` nodes
(1,500 by default): composites collapse first when the default ``collapse=None`` is
left, then the middle of the topological order becomes one node saying how many boxes
it holds and how to draw them all."""
import re
import shutil
import time

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import viz


def chain(n):
    x = af.Parameter(np.ones(3), name="x")
    h = x
    for i in range(n):
        h = af.tanh(h) if i % 2 else h * 1.01  # a constant box every other step
    return af.FlowGraph(af.sum(h, name="total"))


def node_ids(source):
    return set(re.findall(r"^\t([bc]\d+|elided) \[", source, flags=re.M))


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz dot program")
def test_to_svg_of_a_20000_box_chain_is_bounded(tmp_path):
    graph = chain(13_334)
    assert len(graph.order) >= 20_000
    start = time.perf_counter()
    path = viz.to_svg(graph, tmp_path / "chain.svg")
    seconds = time.perf_counter() - start
    assert seconds < 20, seconds  # 150 s unbounded; 0.8 s on an idle 2-core machine
    svg = path.read_text()
    assert "not drawn" in svg and "max_nodes=None draws all" in svg
    assert svg.count('class="node"') == viz.MAX_NODES + 1


def test_the_ends_are_drawn_and_the_middle_is_one_node():
    graph = chain(3_000)
    source = viz.to_dot(graph, max_nodes=10).source
    ids = node_ids(source)
    assert len(ids) == 11 and "elided" in ids
    assert {"b0", f"b{len(graph.order) - 1}"} <= ids  # the parameter and the output
    elided = len(graph.order) - 10
    assert f"… {elided:,} boxes not drawn …" in source
    edges = re.findall(r"^\t(\w+) -> (\w+)", source, flags=re.M)
    assert ("b4", "elided") in edges and ("elided", f"b{len(graph.order) - 5}") in edges
    assert viz.to_dot(graph, max_nodes=None).source.count("->") > 4_000  # all when asked


def deep_mlp(layers):
    mlp = af.nn.MLP([4] + [3] * layers + [2], seed=0)
    x, y = af.Input("x"), af.Input("y")
    return af.FlowGraph(af.softmax_cross_entropy(mlp(x), y))


def test_composites_collapse_first_when_the_default_is_left():
    graph = deep_mlp(300)  # about 2,100 boxes expanded, 900 nodes collapsed
    source = viz.to_dot(graph).source
    assert "composites collapsed: expanded, this graph has" in source
    assert "not drawn" not in source and "cluster_" not in source
    assert len(node_ids(source)) <= viz.MAX_NODES
    forced = viz.to_dot(graph, collapse=False).source  # expanded as asked, then bounded
    assert "not drawn" in forced and "composites collapsed" not in forced
    small = viz.to_dot(deep_mlp(2)).source  # small graphs are drawn expanded as before
    assert "cluster_" in small and "composites collapsed" not in small


@pytest.mark.parametrize("max_nodes", [0, 1, 2.5, -3])
def test_max_nodes_is_checked(max_nodes):
    with pytest.raises(ValueError, match="max_nodes must be a whole number >= 2 or None"):
        viz.to_dot(chain(3), max_nodes=max_nodes)
