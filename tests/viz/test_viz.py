"""Drawing flow graphs: what the SVG holds (a node per box or per collapsed composite,
labels, clusters, annotations, colours), the bprop view, gradcheck highlighting, the
missing-Graphviz path, the ``autograd-flow viz`` command, and gradients drawn beside
their forward graph."""
import html
import json
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd_flow as af
from autograd_flow import viz
from autograd_flow.cli import main
from autograd_flow.core.box import Leaf
from autograd_flow.core.order import topological_order
from autograd_flow.nn import MLP

SVG = "{http://www.w3.org/2000/svg}"


def parse_svg(text):
    """(node id -> its texts, node id -> its shape's stroke/fill, cluster labels, edges)."""
    root = ET.fromstring(text)
    nodes, looks, clusters, edges = {}, {}, [], set()
    for g in root.iter(f"{SVG}g"):
        kind, title = g.get("class"), g.findtext(f"{SVG}title")
        texts = [t.text for t in g.iter(f"{SVG}text") if t.text]
        if kind == "node":
            nodes[title] = texts
            shape = next((e for e in g.iter() if e.tag in (f"{SVG}polygon", f"{SVG}ellipse",
                                                         f"{SVG}path")), None)
            looks[title] = {} if shape is None else dict(shape.attrib)
        elif kind == "cluster":
            clusters.append(" ".join(texts))
        elif kind == "edge":
            edges.add(tuple(title.split("->")))
    return nodes, looks, clusters, edges


def draw(target, tmp_path, name="graph.svg", **options):
    path = viz.to_svg(target, tmp_path / name, **options)
    return parse_svg(path.read_text(encoding="utf-8"))


def node_with(nodes, text):
    """The id of the one node whose label holds ``text``."""
    found = [key for key, texts in nodes.items() if any(text == t.strip() for t in texts)]
    assert len(found) == 1, (text, found)
    return found[0]


def hand_graph():
    x = af.Input("x")
    W = af.Parameter(np.array([[0.5, -1.0], [2.0, 0.25], [1.0, 1.0]]), name="W")
    h = af.tanh(x @ W.T, name="h")
    side = af.sum(x * 3.0, name="side")  # needs no gradient: its bprop is skipped
    loss = af.sum(af.square(h), name="loss") + side
    return af.FlowGraph(loss), {x: np.array([[1.0, 2.0], [-1.0, 0.5]])}


def mlp_graph(seed=0):
    """A 3-hidden-layer MLP with its loss and an L2 penalty (as train.objective makes)."""
    mlp = MLP([6, 5, 5, 5, 3], seed=seed)
    x, y = af.Input("x"), af.Input("y")
    logits = mlp(x)
    loss = af.softmax_cross_entropy(logits, y) + 1e-4 * af.l2_penalty(mlp.weights)
    rng = np.random.default_rng(seed)
    feed = {x: rng.standard_normal((4, 6)), y: rng.integers(0, 3, 4)}
    return af.FlowGraph([loss, logits]), feed


def test_svg_has_a_node_per_box_with_its_label_and_data_flow_edges(tmp_path):
    graph, _ = hand_graph()
    nodes, looks, _, edges = draw(graph, tmp_path)
    assert set(nodes) == {f"b{k}" for k in range(len(graph.order))}
    for k, box in enumerate(graph.order):
        label = " ".join(nodes[f"b{k}"])
        op = type(box).__name__
        if box.name != op.lower():  # a default name would repeat the op
            assert box.name in label, (box, label)
        if not isinstance(box, af.Constant):
            assert op in label, (box, label)
    position = {id(b): k for k, b in enumerate(graph.order)}
    assert edges == {(f"b{position[id(i)]}", f"b{k}")
                     for k, box in enumerate(graph.order) for i in box.inputs}
    # Inputs, Parameters, Constants and operations look different
    x, W, h = (node_with(nodes, name) for name in ("x", "W", "h"))
    assert looks[x]["fill"] != looks[W]["fill"] != looks[h]["fill"]
    assert looks[node_with(nodes, "3.0")] == {}  # a scalar constant is plain small text


def test_collapsed_and_expanded_mlp_differ_as_they_should(tmp_path):
    graph, _ = mlp_graph()
    scopes = {s for box in graph.order for s in box.scopes}
    nodes, _, clusters, _ = draw(graph, tmp_path, "expanded.svg", collapse=False)
    assert len(nodes) == len(graph.order)
    assert len(clusters) == len(scopes) == 11  # 4 layers, 4 linear, loss, log_softmax, l2
    assert {"layer: layer1", "layer: output", "linear: a2", "softmax_cross_entropy",
            "l2_penalty"} <= set(clusters)

    nodes, _, clusters, edges = draw(graph, tmp_path, "collapsed.svg", collapse=True)
    assert clusters == []
    kept = [b for b in graph.order if not b.scopes or isinstance(b, (af.Input, af.Parameter))]
    outermost = {b.scopes[0] for b in graph.order if b not in kept}
    assert len(nodes) == len(kept) + len(outermost) == 10 + 3 + 6
    for name in ("layer1", "layer2", "layer3", "output", "softmax_cross_entropy",
                 "l2_penalty", "W1", "b4", "x", "y"):
        node_with(nodes, name)
    W1, layer1 = node_with(nodes, "W1"), node_with(nodes, "layer1")
    assert {(W1, layer1), (W1, node_with(nodes, "l2_penalty"))} <= edges
    assert (node_with(nodes, "layer1"), node_with(nodes, "layer2")) in edges

    nodes, _, clusters, _ = draw(graph, tmp_path, "linear.svg", collapse={"linear"})
    assert "layer: layer2" in clusters and not any(c.startswith("linear") for c in clusters)
    assert len(nodes) == len(graph.order) - 4 * 2  # each linear: 3 boxes become 1 node
    node_with(nodes, "a3")


def test_inputs_and_parameters_made_inside_a_composite_stay_visible_when_collapsed():
    with af.scope("block", "b"):
        x = af.Input("x")
        y = af.tanh(x) * 2
    source = viz.to_dot(y, collapse=True).source
    assert "cluster" not in source and "b0 -> c1" in source
    assert source.count("shape=") == 2  # x, and the block with its Tanh, 2 and Mul


def test_an_input_used_twice_by_one_box_is_one_edge_labelled_x2():
    a = af.Input("a")
    source = viz.to_dot(a + a).source
    assert source.count("b0 -> b1") == 1 and "×2" in source
    graph, _ = mlp_graph()  # the loss reads the logits twice inside: no ×2 when collapsed
    edges = [line for line in viz.to_dot(graph, collapse=True).source.splitlines()
             if "->" in line]
    assert len(edges) > 10 and not any("label" in line for line in edges)


def test_collapse_rejects_a_kind_the_graph_does_not_have():
    graph, _ = mlp_graph()
    with pytest.raises(ValueError, match="linera.*kinds are: l2_penalty, layer, linear"):
        viz.to_dot(graph, collapse={"linera"})


def test_annotations_appear_after_a_run_and_not_before(tmp_path):
    graph, feed = mlp_graph()
    before = viz.to_dot(graph).source
    assert "μ" not in before and "‖∇‖" not in before and "gradient norm" not in before
    graph.fprop(feed)
    after_fprop = viz.to_dot(graph).source
    assert "μ" in after_fprop and "‖∇‖" not in after_fprop
    assert "μ" not in viz.to_dot(graph, annotate=False).source
    grads = graph.bprop()
    nodes, _, _, _ = draw(graph, tmp_path)
    W1 = graph.parameters[0]
    assert f"‖∇‖ {np.linalg.norm(grads[W1]):.4g}" in nodes[f"b{graph.order.index(W1)}"]
    loss = graph.outputs[0]
    assert f"= {loss.value:.4g}" in nodes[f"b{graph.order.index(loss)}"]
    b1 = graph.parameters[1]  # b1 holds 5 zeros: statistics, or the values if few enough
    assert "μ 0 · σ 0" in nodes[f"b{graph.order.index(b1)}"]
    assert "= [0, 0, 0, 0, 0]" in viz.to_dot(graph, max_values=5).source


def test_gradient_norms_are_coloured_on_a_log_scale(tmp_path):
    small = af.Parameter(np.ones(3), name="small")
    large = af.Parameter(np.ones(3), name="large")
    middle = af.Parameter(np.ones(1), name="middle")
    loss = af.sum(small * 1e-9) + af.sum(large * 1e9) + af.sum(middle * 0.1)
    graph = af.FlowGraph(loss)
    graph.fprop()
    nodes, looks, _, _ = draw(graph, tmp_path)
    assert looks[node_with(nodes, "small")]["fill"] == "#fde68a"  # no gradient yet: amber
    graph.bprop()
    path = viz.to_svg(graph, tmp_path / "run.svg", grad_range=(1e-6, 1e4))
    nodes, looks, _, _ = parse_svg(path.read_text())
    assert looks[node_with(nodes, "small")]["fill"] == "#2166ac"  # vanishing: deep blue
    assert looks[node_with(nodes, "large")]["fill"] == "#b2182b"  # exploding: deep red
    assert looks[node_with(nodes, "middle")]["fill"] == "#f7f7f7"  # 0.1: mid-scale white
    assert ">gradient norm<" in path.read_text()  # the legend


def test_node_ids_are_stable_across_runs():
    sources = []
    for _ in range(2):
        graph, feed = mlp_graph(seed=3)
        graph.fprop(feed)
        graph.bprop()
        sources.append(viz.to_dot(graph, collapse={"linear"}).source)
    assert sources[0] == sources[1]
    assert "\tb0 [" in sources[0] and "id=b0" in sources[0]


def test_tooltips_name_creation_site_dtype_and_statistics():
    x = af.Input("x")
    h = af.tanh(x * 2.0, name="h")  # the tooltip points at this line
    graph = af.FlowGraph(h.sum())
    graph.fprop({x: np.array([1.0, -2.0], dtype=np.float32)})
    source = viz.to_dot(graph).source
    line = source.split("\n")[[k for k, s in enumerate(source.split("\n"))
                               if "Tanh 'h'" in s][0]]
    assert "created at test_viz.py:" in line and "(2,) float32: mean" in line


def test_bprop_view_numbers_boxes_in_call_order_and_marks_skipped(tmp_path):
    graph, feed = hand_graph()
    skipped = graph.skipped
    assert skipped, "the side branch needs no gradient"
    nodes, looks, _, edges = draw(graph, tmp_path, bprop=True)
    for k, box in enumerate(graph.bprop_order, start=1):
        assert f"bprop {k}" in nodes[f"b{graph.order.index(box)}"]
    for box in skipped:
        key = f"b{graph.order.index(box)}"
        assert "skipped" in nodes[key] and not any(t.startswith("bprop") for t in nodes[key])
        assert "stroke-dasharray" in looks[key]
    labelled = sum(t.startswith("bprop ") for texts in nodes.values() for t in texts)
    assert labelled == len(graph.bprop_order)
    collapsed = viz.to_dot(mlp_graph()[0], bprop=True, collapse=True).source
    assert "bprop 1" in collapsed and "–" in collapsed  # a composite shows a range


def test_a_box_with_a_wrong_bprop_is_highlighted(tmp_path):
    class BadSquare(af.Box):
        def fprop(self, a):
            return a ** 2

        def bprop(self, grad, a):
            return grad * a  # the factor 2 is missing

    W = af.Parameter(np.array([0.3, -0.7]), name="W")
    bad = BadSquare(af.tanh(W), name="bad")
    graph = af.FlowGraph(af.sum(bad))
    report = af.gradcheck(graph, raise_on_failure=False)
    assert [f.box for f in report.faults] == [bad]
    nodes, looks, _, _ = draw(graph, tmp_path, report=report)
    key = node_with(nodes, "bad")
    assert looks[key]["stroke"] == "#dc2626"
    assert any("bprop wrong" in t for t in nodes[key])
    assert any("gradient entries wrong" in t for t in nodes[node_with(nodes, "W")])
    others = [k for k in nodes if k not in (key, node_with(nodes, "W"))]
    assert all(looks[k].get("stroke") != "#dc2626" for k in others)
    with pytest.raises(ValueError, match="not in this graph"):
        viz.to_dot(af.Parameter(1.0) * 2, report=report)


def test_ten_thousand_boxes_to_dot_in_a_few_seconds():
    x, p = af.Input("x"), af.Parameter(np.ones(3), name="p")
    h = x
    for _ in range(4999):
        h = af.tanh(h * p)
    graph = af.FlowGraph(h.sum())
    assert len(graph.order) >= 10_000
    start = time.perf_counter()
    source = viz.to_dot(graph, max_nodes=None).source  # every box
    assert time.perf_counter() - start < 10
    assert source.count("shape=") == len(graph.order)


@pytest.mark.slow
def test_a_100000_box_chain_does_not_crash_the_drawer():
    h = af.Input("x")
    for _ in range(100_000):
        h = -h
    dot = viz.to_dot(h, max_nodes=None)
    assert dot.body[-1].lstrip().startswith("b99999 -> b100000")


def test_missing_dot_gives_install_hint_and_writes_the_dot_source(tmp_path, monkeypatch):
    graph, _ = hand_graph()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(viz.GraphvizNotFoundError) as caught:
        viz.to_svg(graph, tmp_path / "graph.svg")
    message = str(caught.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert str(tmp_path / "graph.dot") in message
    assert isinstance(caught.value, af.FlowGraphError)
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")
    assert not (tmp_path / "graph.svg").exists()
    bundle = viz.to_dot(graph)._repr_mimebundle_()  # in Jupyter: the hint and the source
    assert "apt-get install graphviz" in bundle["text/plain"]
    assert "digraph" in bundle["text/plain"]


def test_formats_by_suffix_and_inline_display(tmp_path):
    graph, _ = hand_graph()
    assert viz.to_svg(graph, tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    assert viz.to_svg(graph, tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
    assert viz.to_svg(graph, tmp_path / "g.dot").read_text().startswith("digraph")
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf"):
        viz.to_svg(graph, tmp_path / "g.jpeg")
    assert "<svg" in graph._repr_mimebundle_()["image/svg+xml"]
    assert "<svg" in graph.outputs[0]._repr_mimebundle_()["image/svg+xml"]
    for wrong in ([graph.outputs[0], 3], [], "loss"):
        with pytest.raises(TypeError, match="a FlowGraph, a Box or a list of boxes"):
            viz.to_dot(wrong)


def test_cli_draws_collapsed_expanded_and_bprop_views(tmp_path, capsys, monkeypatch):
    options = ["--hidden", "5,5,5", "--n-in", "6", "--n-out", "3", "--l2", "1e-4"]
    assert main(["viz", *options, "-o", str(tmp_path / "c.svg")]) == 0
    assert "c.svg" in capsys.readouterr().out
    collapsed, _, clusters, _ = parse_svg((tmp_path / "c.svg").read_text())
    assert main(["viz", *options, "--expand", "-o", str(tmp_path / "e.svg")]) == 0
    expanded, _, expanded_clusters, _ = parse_svg((tmp_path / "e.svg").read_text())
    assert len(collapsed) == 19 and clusters == []
    assert len(expanded) > 40 and len(expanded_clusters) == 11
    assert main(["viz", *options, "--bprop", "--examples", "4", "-o", str(tmp_path / "b.svg")]) == 0
    texts = [t for ts in parse_svg((tmp_path / "b.svg").read_text())[0].values() for t in ts]
    assert "bprop 1" in texts and any(t.startswith("‖∇‖") for t in texts)
    monkeypatch.chdir(tmp_path)
    assert main(["viz", *options, "--collapse", "linear", "--format", "dot"]) == 0
    assert (tmp_path / "graph.dot").read_text().count("cluster_") == 7  # linear collapsed


def test_cli_draws_a_saved_model_and_rejects_contradictions(tmp_path, capsys):
    from autograd_flow.io import Model, save_model

    save_model(tmp_path / "model.npz", Model(MLP([4, 3, 2]), np.zeros(4), np.ones(4)))
    out = tmp_path / "model.svg"
    assert main(["viz", str(tmp_path / "model.npz"), "-o", str(out)]) == 0
    nodes = parse_svg(out.read_text())[0]
    node_with(nodes, "layer1")
    assert any("(3, 4)" in t for texts in nodes.values() for t in texts)  # W1 of the model
    assert main(["viz", str(tmp_path / "model.npz"), "--hidden", "3"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["viz", "-o", str(tmp_path / "g.svg"), "--format", "png"]) == 2
    assert "make them agree" in capsys.readouterr().err
    assert main(["viz", "--collapse", "lineer", "-o", str(tmp_path / "g.svg")]) == 2


def test_kind_and_name_stay_apart_in_the_picture(tmp_path):
    """A plain space between "Add" and "loss" is collapsed by SVG viewers ("Addloss"):
    name and kind are separate texts with a non-breaking gap between them."""
    x = af.Input("x")
    h = af.tanh(x * 2.0, name="h1")
    loss = af.sum(h) + 1.0
    loss.name = "loss"
    nodes = draw(af.FlowGraph(loss), tmp_path)[0]
    for name, kind in (("loss", "Add"), ("h1", "Tanh"), ("x", "Input")):
        texts = nodes[node_with(nodes, name)]
        gap = texts[texts.index(name) + 1]
        assert gap.strip() == "" and "\xa0" in gap and texts[texts.index(name) + 2] == kind
    assert nodes[node_with(nodes, "Sum")] == ["Sum"]  # a box named after its kind


def test_graphs_drawn_by_the_cli_say_which_command_made_them(tmp_path):
    from autograd_flow.io import Model, save_model

    save_model(tmp_path / "model.npz", Model(MLP([4, 3, 2]), np.zeros(4), np.ones(4),
                                             info={"config": {"l2": 0.01, "l1": 0.0}}))
    out = tmp_path / "model.svg"
    assert main(["viz", str(tmp_path / "model.npz"), "-o", str(out)]) == 0
    text = html.unescape(out.read_text())
    assert "autograd-flow:" not in text  # the console script is no place to point at
    assert f"created at autograd-flow viz {tmp_path / 'model.npz'}" in text
    assert "l2_penalty" in text and "0.01·L2" in text  # drawn with its own penalty


# -- gradients drawn with their forward graph (af.grad) ------------------------------------

GRADIENT_FILL, GRADIENT_EDGE = "#fff4e0", "#b45309"


def layout(diagram):
    """Graphviz's own reading of a drawing: (node id -> attributes, clusters as
    (name, label, node ids), edges as (from, to, attributes) in the way data flows)."""
    data = json.loads(diagram.pipe(format="json0"))
    count = data.get("_subgraph_cnt", 0)
    subgraphs, node_objects = data["objects"][:count], data["objects"][count:]
    names = {o["_gvid"]: o["name"] for o in node_objects}
    nodes = {o["name"]: o for o in node_objects}
    clusters = [(g["name"], g.get("label", ""), {names[k] for k in g.get("nodes", [])})
                for g in subgraphs if g["name"].startswith("cluster")]
    edges = []
    for e in data.get("edges", []):
        tail, head = names[e["tail"]], names[e["head"]]
        edges.append((head, tail, e) if e.get("dir") == "back" else (tail, head, e))
    return nodes, clusters, edges


def gradient_graph(seed=0):
    """A one-hidden-layer MLP's loss, its gradient boxes, and all boxes in drawing order."""
    mlp = MLP([3, 2, 2], seed=seed)
    x, y = af.Input("x"), af.Input("y")
    loss = af.softmax_cross_entropy(mlp(x), y)
    grads = af.grad(loss, mlp.parameters)
    feed = {x: np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]), y: np.array([1, 0])}
    return loss, grads, mlp.parameters, topological_order([loss, *grads]), feed


def made_by_grad(box):
    return any(s.kind == "bprop" for s in box.scopes) or type(box).__name__ == "Seed"


def bprop_scopes(order):
    return list(dict.fromkeys(s for box in order for s in box.scopes if s.kind == "bprop"))


def column(clusters, label):
    return next(ids for _, text, ids in clusters if text == label)


def test_gradient_boxes_are_drawn_apart_in_a_column_of_their_own():
    loss, grads, params, order, _ = gradient_graph()
    nodes, clusters, edges = layout(viz.to_dot([loss, *grads]))
    node = {id(box): f"b{k}" for k, box in enumerate(order)}
    forward, gradient = column(clusters, "forward"), column(clusters, "gradient (af.grad)")
    assert sum(map(made_by_grad, order)) > 20
    for box in order:
        drawn = nodes[node[id(box)]]
        if made_by_grad(box):
            assert node[id(box)] in gradient, box
            assert isinstance(box, af.Constant) or drawn["fillcolor"] == GRADIENT_FILL, box
        elif not isinstance(box, af.Constant):
            assert node[id(box)] in forward and drawn.get("fillcolor") != GRADIENT_FILL, box
    for p, g in zip(params, grads):  # each result says which gradient it holds
        assert nodes[node[id(g)]]["label"].startswith(f"<B>∂ {p.name}</B>"), p
    seed = next(b for b in order if type(b).__name__ == "Seed")
    assert "∂ cross_entropy" in nodes[node[id(seed)]]["label"]
    assert "seed = 1" in nodes[node[id(seed)]]["label"]
    labels = " ".join(n["label"] for n in nodes.values())
    assert "matmul^T" in labels and "adjoint of W h for h1" in labels  # plumbing reads well
    assert "unbroadcast" in labels and "Adjoint" not in labels and "SumLike" not in labels
    # gradients flow up their column (amber), forward values are read across (grey, loose)
    inside = [e for t, h, e in edges if t in gradient and h in gradient
              and e.get("style") != "invis"]
    assert inside and all(e["color"] == GRADIENT_EDGE and e["dir"] == "back" for e in inside)
    h1 = next(b for b in order if b.name == "h1")
    reads = [e for t, h, e in edges if t == node[id(h1)] and h in gradient
             and e.get("style") != "dotted"]
    assert reads and all(e["constraint"] == "false" for e in reads)  # tanh's bprop reads h1
    # an input read only for its shape is named in the heading, not drawn
    unbroadcasts = [b for b in order if type(b).__name__ == "SumLike"]
    drawn = {(t, h) for t, h, _ in edges}
    assert unbroadcasts and all((node[id(b.inputs[1])], node[id(b)]) not in drawn
                                for b in unbroadcasts)
    assert all((node[id(b.inputs[0])], node[id(b)]) in drawn for b in unbroadcasts)


def test_each_bprop_is_a_cluster_tied_to_the_box_it_differentiates():
    loss, grads, _, order, _ = gradient_graph()
    nodes, clusters, edges = layout(viz.to_dot([loss, *grads]))
    node = {id(box): f"b{k}" for k, box in enumerate(order)}
    scopes = bprop_scopes(order)
    assert len(scopes) > 10
    for scope in scopes:
        members = {node[id(b)] for b in order if scope in b.scopes}
        name, label, ids = next(c for c in clusters if c[2] == members)
        of = scope.of
        kind = type(of).__name__
        assert label == f"bprop of {kind if of.name == kind.lower() else of.name}"
        ties = [(h, e) for t, h, e in edges if t == node[id(of)] and e.get("style") == "dotted"
                and e.get("lhead") == name]
        assert len(ties) == 1 and ties[0][0] in members, scope
        # the bprop sits in mirrors of its box's composites: "bprop of layer: layer1"
        for composite in of.scopes:
            mirror = [ids for _, text, ids in clusters
                      if text == f"bprop of {composite.kind}: {composite.name}"
                      or text == f"bprop of {composite.kind}" == f"bprop of {composite.name}"]
            assert any(members <= ids for ids in mirror), (scope, composite)


def test_collapse_treats_a_composite_and_its_bprop_alike():
    loss, grads, _, order, _ = gradient_graph()
    nodes, clusters, edges = layout(viz.to_dot([loss, *grads], collapse=True))
    gradient = column(clusters, "gradient (af.grad)") - {"column1"}
    labels = sorted(nodes[n]["label"].split("</B>")[0].removeprefix("<B>") for n in gradient)
    assert labels == ["bprop of layer: layer1", "bprop of layer: output",
                      "bprop of softmax_cross_entropy", "∂ cross_entropy"]
    by_label = {n["label"].split("</B>")[0].removeprefix("<B>"): name
                for name, n in nodes.items()}
    assert "gives ∂ W1, ∂ b1" in nodes[by_label["bprop of layer: layer1"]]["label"]
    assert "gives ∂ h1, ∂ W2, ∂ b2" in nodes[by_label["bprop of layer: output"]]["label"]
    ties = {(t, h) for t, h, e in edges if e.get("style") == "dotted"}
    assert (by_label["layer1"], by_label["bprop of layer: layer1"]) in ties
    assert (by_label["softmax_cross_entropy"], by_label["∂ cross_entropy"]) in ties

    nodes, clusters, _ = layout(viz.to_dot([loss, *grads], collapse={"bprop"}))
    collapsed = [n for n in nodes.values() if n["label"].startswith("<B>bprop of ")]
    assert len(collapsed) == len(bprop_scopes(order))  # one node per box's bprop
    assert any(text == "bprop of layer: layer1" for _, text, _ in clusters)
    assert len([n for n in nodes.values() if n.get("fillcolor") == "#ffffff"]) == len(
        [b for b in topological_order([loss]) if not isinstance(b, Leaf)])

    nodes, clusters, _ = layout(viz.to_dot([loss, *grads], collapse={"layer"}))
    texts = {text for _, text, _ in clusters}
    assert {"softmax_cross_entropy", "bprop of softmax_cross_entropy"} <= texts
    assert not any("layer" in text for text in texts)
    assert sum("bprop of layer: " in n["label"] for n in nodes.values()) == 2


def test_gradient_pictures_are_the_same_for_two_builds():
    sources = []
    for _ in range(2):
        loss, grads, _, _, feed = gradient_graph(seed=5)
        af.FlowGraph([loss, *grads]).fprop(feed)
        sources.append([viz.to_dot([loss, *grads], collapse=c).source
                        for c in (False, True, {"bprop"})])
    assert sources[0] == sources[1]
    assert "cluster_column1" in sources[0][0]
    assert "cluster_column" not in viz.to_dot(loss).source  # no gradient: no columns


def test_a_run_shows_the_numbers_bprop_gives_on_the_gradient_boxes():
    loss, grads, params, order, feed = gradient_graph()
    af.FlowGraph([loss, *grads]).fprop(feed)
    graph = af.FlowGraph(loss)
    graph.fprop(feed)
    expected = graph.bprop()
    nodes, _, _ = layout(viz.to_dot([loss, *grads], max_values=6))
    node = {id(box): f"b{k}" for k, box in enumerate(order)}
    for p, g in zip(params, grads):
        shown = "= [" + ", ".join(f"{v:.4g}" for v in np.ravel(expected[p])) + "]"
        assert shown in nodes[node[id(g)]]["label"], p


def test_a_gradient_of_a_gradient_gets_a_third_column():
    x = af.Parameter(np.array(0.5), name="x")
    y = af.sin(x) * x ** 3
    dy = af.grad(y, x)
    d2y = af.grad(dy, x)
    order = topological_order([y, dy, d2y])
    nodes, clusters, _ = layout(viz.to_dot([y, dy, d2y]))
    node = {id(box): f"b{k}" for k, box in enumerate(order)}
    first, second = column(clusters, "gradient (af.grad)"), column(clusters,
                                                                   "gradient of the gradient")
    assert node[id(dy)] in first and node[id(d2y)] in second
    assert "<B>∂ x</B>" in nodes[node[id(d2y)]]["label"]
    seeds = [b for b in order if type(b).__name__ == "Seed"]
    assert [node[id(s)] in second for s in seeds] == [False, True]
    assert "∂(∂ x)" in nodes[node[id(seeds[1])]]["label"]  # the seed of d dy / d x
    assert any(text.startswith("bprop of bprop of ") for _, text, _ in clusters)


def test_the_sum_of_a_box_s_gradients_is_named_like_them():
    x = af.Parameter(np.array([0.5, -1.0]), name="x")
    h = af.tanh(x)  # read twice: af.grad adds its two gradients in a box named "d tanh"
    loss = af.sum(h * 3.0) + af.sum(af.exp(h))
    dx = af.grad(loss, x)
    order = topological_order([loss, dx])
    total = next(b for b in order if b.name == "d tanh")
    nodes, _, _ = layout(viz.to_dot([loss, dx]))
    assert nodes[f"b{order.index(total)}"]["label"].startswith("<B>∂ Tanh</B>")
    assert "d output / d Tanh 'tanh'" in nodes[f"b{order.index(total)}"]["tooltip"]


def test_a_composite_of_your_own_called_bprop_is_drawn_as_any_composite():
    x = af.Input("x")
    with af.scope("bprop", "mine"):
        y = af.tanh(x) * 2.0
    source = viz.to_dot(y).source
    assert "cluster_column" not in source and "bprop: mine" in source
    assert GRADIENT_FILL not in source


def test_a_box_an_operator_made_is_named_inline_and_drawn_by_its_name():
    x, y = af.Input("x"), af.Input("y")
    total = x + y
    assert total.named("total") is total and total.name == "total"
    source = viz.to_dot(total[0].named("first")).source
    assert "<B>total</B>" in source and ">Add</FONT>" in source
    assert "<B>first</B>" in source and ">GetItem</FONT>" in source
    with pytest.raises(TypeError, match="a box's name is a str, not int 3"):
        total.named(3)
