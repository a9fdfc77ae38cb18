// The network diagram: a column of nodes per layer (the features fed, each hidden layer,
// the outputs), each node showing its unit's value over the plane, and the weights as
// lines between them, thicker for larger |w|, orange positive and blue negative. The
// hidden layers have - and + buttons for their units.
import {CLASS_COLORS, NEG, POS, fmt, paint, rgb, shade} from "./pictures.js";

const SVG = "http://www.w3.org/2000/svg";

// Draw ``plane`` (a frame's: inputs, layers, outputs, weights) for ``setup`` (inputs'
// names, sizes, data) in ``box``; ``resize(k, units)`` is called by the buttons.
export function drawNetwork(box, setup, plane, resize) {
  const columns = [
    {kind: "inputs", units: plane.inputs, names: setup.inputs},
    ...plane.layers.map((layer, k) => ({kind: "hidden", k, size: layer.size, units: layer.units})),
    {kind: "outputs", units: plane.outputs},
  ];
  const shape = JSON.stringify([setup.inputs, setup.sizes, columns.map((c) => c.units.length)]);
  if (box.dataset.shape !== shape) build(box, columns, setup, resize);
  box.dataset.shape = shape;
  const nodes = box.querySelectorAll(".column");
  columns.forEach((column, c) => {
    const canvases = nodes[c].querySelectorAll("canvas");
    column.units.forEach((unit, j) => {
      const high = column.kind === "outputs" && setup.data.task !== "regression" ?
        rgb(CLASS_COLORS[j]) : POS;
      paint(canvases[j], unit.pixels, plane.unit_side, (t) => shade(t, unit.diverging, high));
      canvases[j].title = `${nodeName(column, j, setup)}: from ${fmt(unit.low)} to ${fmt(unit.high)}`;
    });
  });
  const lines = box.querySelectorAll("svg.wires line");
  let index = 0;
  for (const W of plane.weights) {
    const largest = Math.max(1e-9, ...W.flat().map(Math.abs));
    W.forEach((row) => row.forEach((w) => {
      const line = lines[index++];
      if (!line) return;
      const size = Math.abs(w) / largest;
      line.setAttribute("stroke", `rgb(${(w >= 0 ? POS : NEG).join(",")})`);
      line.setAttribute("stroke-width", (0.3 + 3.2 * size).toFixed(2));
      line.setAttribute("stroke-opacity", (0.2 + 0.7 * size).toFixed(2));
      line.firstChild.textContent = `w = ${fmt(w)}`;
    }));
  }
}

function nodeName(column, j, setup) {
  if (column.kind === "inputs") return `feature ${column.names[j]}`;
  if (column.kind === "hidden") return `layer ${column.k + 1}, unit ${j + 1}`;
  return setup.data.task === "regression" ? "the value predicted" :
    `probability of class ${setup.data.classes[j]}`;
}

function build(box, columns, setup, resize) {
  const most = Math.max(...columns.map((c) => c.units.length));
  const node = most > 12 ? 22 : most > 8 ? 28 : 34;
  box.style.setProperty("--node", `${node}px`);
  const wires = document.createElementNS(SVG, "svg");
  wires.setAttribute("class", "wires");
  const row = document.createElement("div");
  row.className = "columns";
  row.append(...columns.map((column) => {
    const element = document.createElement("div");
    element.className = `column ${column.kind}`;
    element.append(head(column, setup, resize));
    const stack = document.createElement("div");
    stack.className = "nodes";
    stack.append(...column.units.map((_, j) => {
      const unit = document.createElement("div");
      unit.className = "node";
      const canvas = document.createElement("canvas");
      unit.append(canvas);
      if (column.kind === "inputs") unit.append(label(column.names[j]));
      if (column.kind === "outputs" && setup.data.task !== "regression") {
        unit.append(label(setup.data.classes[j]));
      }
      return unit;
    }));
    element.append(stack);
    return element;
  }));
  box.replaceChildren(wires, row);
  // the weights: a line from each unit drawn to each unit drawn in the next column
  const centres = [...row.children].map((column) =>
    [...column.querySelectorAll(".node canvas")].map((canvas) => {
      const r = canvas.getBoundingClientRect(), b = box.getBoundingClientRect();
      return {left: r.left - b.left, right: r.right - b.left, y: r.top - b.top + r.height / 2};
    }));
  wires.setAttribute("width", box.scrollWidth);
  wires.setAttribute("height", box.scrollHeight);
  for (let c = 0; c + 1 < centres.length; c++) {
    for (const to of centres[c + 1]) {
      for (const from of centres[c]) {
        const line = document.createElementNS(SVG, "line");
        line.setAttribute("x1", from.right.toFixed(1));
        line.setAttribute("y1", from.y.toFixed(1));
        line.setAttribute("x2", to.left.toFixed(1));
        line.setAttribute("y2", to.y.toFixed(1));
        line.append(document.createElementNS(SVG, "title"));
        wires.append(line);
      }
    }
  }
}

function label(text) {
  const span = document.createElement("span");
  span.className = "label";
  span.textContent = text;
  return span;
}

function head(column, setup, resize) {
  const element = document.createElement("div");
  element.className = "column-head";
  if (column.kind !== "hidden") {
    element.textContent = column.kind === "inputs" ? "features" :
      (setup.data.task === "regression" ? "output" : "outputs");
    return element;
  }
  const button = (text, units, title) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "small";
    b.textContent = text;
    b.title = title;
    b.dataset.testid = `units-${text === "+" ? "plus" : "minus"}-${column.k + 1}`;
    b.disabled = units < 1 || units > 128;
    b.addEventListener("click", () => resize(column.k, units));
    return b;
  };
  const count = document.createElement("span");
  count.className = "count";
  count.textContent = column.units.length < column.size ?
    `${column.units.length} of ${column.size}` : `${column.size}`;
  count.title = `hidden layer ${column.k + 1}: ${column.size} units` +
    (column.units.length < column.size ? ` (the first ${column.units.length} drawn)` : "");
  element.append(button("−", column.size - 1, "one unit fewer"), count,
                 button("+", column.size + 1, "one unit more"));
  return element;
}
