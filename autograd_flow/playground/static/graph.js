// The flow graph: Graphviz's SVG from the server, and the statistics of a box clicked.

const XLINK = "http://www.w3.org/1999/xlink";

// Show a "graph" payload ({svg} or {message}) in ``box``; keep the box selected.
export function showGraph(box, info, graph, selected) {
  if (!graph.svg) {
    const message = document.createElement("p");
    message.className = "message";
    message.textContent = graph.message;
    box.replaceChildren(message);
    return;
  }
  const parsed = new DOMParser().parseFromString(graph.svg, "image/svg+xml");
  const svg = document.importNode(parsed.documentElement, true);
  for (const link of svg.querySelectorAll("a")) {
    // The boxes were made by the playground, so "created at" names its own code: drop it.
    const tooltip = link.getAttributeNS(XLINK, "title") || "";
    const kept = tooltip.split("\n").filter((line) => !line.startsWith("created at "));
    link.setAttributeNS(XLINK, "xlink:title", kept.join("\n"));
  }
  box.replaceChildren(svg);
  if (selected) selectNode(box, info, selected);
}

// Mark the node ``id`` and show its value and gradient statistics (from its tooltip).
export function selectNode(box, info, id) {
  const node = box.querySelector(`g.node[id="${CSS.escape(id)}"]`);
  for (const other of box.querySelectorAll("g.node.selected")) {
    other.classList.remove("selected");
  }
  if (!node) {
    info.replaceChildren(paragraph("The box clicked is not in this drawing any more.", "note"));
    return;
  }
  node.classList.add("selected");
  const link = node.querySelector("a");
  const tooltip = (link && (link.getAttributeNS(XLINK, "title") || link.getAttribute("title"))) || "";
  const [heading, ...lines] = tooltip.split("\n");
  const rows = [];
  for (const line of lines) {
    const match = /^(value|gradient norm|output|in) (.*)$/.exec(line);
    const [name, text] = match ? [match[1], match[2]] : ["", line];
    const row = paragraph("", "row");
    if (name) {
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = name;
      row.append(label);
    }
    row.append(text);
    rows.push(row);
  }
  const title = document.createElement("h3");
  title.textContent = heading || id;
  info.replaceChildren(title, ...rows);
}

function paragraph(text, cls) {
  const p = document.createElement("p");
  p.className = cls;
  p.textContent = text;
  return p;
}

// The boxes of the drawing in topological order (ids b<k>, or c<k> for a collapsed
// composite, k the position in the order), and of those the ones with a gradient.
function boxesInOrder(box) {
  const nodes = [...box.querySelectorAll("g.node")].filter((n) => /^[bc]\d+$/.test(n.id));
  nodes.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
  const tooltip = (n) => {
    const link = n.querySelector("a");
    return (link && (link.getAttributeNS(XLINK, "title") || link.getAttribute("title"))) || "";
  };
  return {forward: nodes.map((n) => n.id),
          backward: nodes.filter((n) => /gradient norm/.test(tooltip(n))).map((n) => n.id).reverse()};
}

// Play the update just made through the drawing: each box lights up in topological
// order as fprop computes its value, then in reverse as bprop sends the gradient back;
// the statistics of the box lit show beside the graph, ``status`` says where it is.
export async function playStep(box, info, status, delay) {
  const {forward, backward} = boxesInOrder(box);
  const light = async (ids, phase, cls, what) => {
    for (let i = 0; i < ids.length; i++) {
      const node = box.querySelector(`g.node[id="${CSS.escape(ids[i])}"]`);
      if (!node) continue;     // redrawn meanwhile without it
      node.classList.add(cls);
      selectNode(box, info, ids[i]);
      const name = info.querySelector("h3") ? info.querySelector("h3").textContent : ids[i];
      status.textContent = `${phase} ${i + 1} of ${ids.length}: ${name} — ${what}`;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };
  for (const node of box.querySelectorAll("g.node")) node.classList.remove("fprop", "bprop");
  await light(forward, "fprop", "fprop", "its value, computed from its inputs");
  await light(backward, "bprop", "bprop", "the gradient of the loss with respect to it");
  status.textContent = `One update played: fprop computed the ${forward.length} boxes' ` +
    `values from the inputs down to the loss, bprop sent the gradient back through ` +
    `${backward.length} of them, and SGD moved the parameters against their gradients.`;
}
