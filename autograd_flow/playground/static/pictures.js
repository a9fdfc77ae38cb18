// The playground's pictures, drawn from the server's frames: the decision regions with
// the data points, each hidden unit's response over the plane, and the learning curves.

export const CLASS_COLORS = ["#ea580c", "#2563eb", "#16a34a", "#9333ea", "#dc2626",
                             "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"];
const NEG = [37, 99, 235], POS = [234, 88, 12], WHITE = [255, 255, 255];
const SVG = "http://www.w3.org/2000/svg";

export const percent = (x) => `${(100 * x).toFixed(1)}%`;

function bytes(base64) {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function rgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function mix(a, b, t) {
  return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}

// The regions (a grid of predicted classes, paler where unsure) and the points on top.
export function drawRegions(canvas, plane, data) {
  const n = plane.grid, classes = data.classes.length;
  const predicted = bytes(plane.predicted), confidence = bytes(plane.confidence);
  const image = new ImageData(n, n);
  const colors = CLASS_COLORS.map(rgb);
  for (let i = 0; i < n * n; i++) {
    const sure = Math.max(0, (confidence[i] / 255 - 1 / classes) / (1 - 1 / classes));
    const color = mix(WHITE, colors[predicted[i]], 0.12 + 0.5 * sure);
    image.data.set([...color, 255], 4 * i);
  }
  const small = document.createElement("canvas");
  small.width = small.height = n;
  small.getContext("2d").putImageData(image, 0, 0);

  const size = 400, scale = window.devicePixelRatio || 1;
  canvas.width = canvas.height = size * scale;
  const g = canvas.getContext("2d");
  g.setTransform(scale, 0, 0, scale, 0, 0);
  g.imageSmoothingEnabled = true;
  g.imageSmoothingQuality = "high";
  g.drawImage(small, 0, 0, size, size);
  const e = plane.extent, x = (v) => (v + e) / (2 * e) * size, y = (v) => (e - v) / (2 * e) * size;
  g.strokeStyle = "rgba(17, 24, 39, 0.18)";
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(x(0), 0); g.lineTo(x(0), size); g.moveTo(0, y(0)); g.lineTo(size, y(0));
  g.stroke();
  for (const [a, b, k] of data.train) {
    g.beginPath();
    g.arc(x(a), y(b), 3.4, 0, 2 * Math.PI);
    g.fillStyle = CLASS_COLORS[k];
    g.fill();
    g.strokeStyle = "#ffffff";
    g.lineWidth = 1;
    g.stroke();
  }
  for (const [a, b, k] of data.valid) {
    g.beginPath();
    g.arc(x(a), y(b), 3.4, 0, 2 * Math.PI);
    g.fillStyle = "rgba(255, 255, 255, 0.85)";
    g.fill();
    g.strokeStyle = CLASS_COLORS[k];
    g.lineWidth = 1.8;
    g.stroke();
  }
  g.fillStyle = "rgba(17, 24, 39, 0.6)";
  g.font = "12px system-ui, sans-serif";
  g.textAlign = "right";
  g.fillText(`${data.features[0]} →`, size - 6, size - 7);
  g.textAlign = "left";
  g.fillText(`↑ ${data.features[1]}`, 6, 15);
}

function unitColor(t, diverging) {
  if (!diverging) return mix(WHITE, POS, t);
  return t < 0.5 ? mix(NEG, WHITE, 2 * t) : mix(WHITE, POS, 2 * t - 1);
}

// One small image per hidden unit, a column per layer (rebuilt when the shape changes).
export function drawUnits(box, layers, side) {
  if (!layers.length) {
    box.textContent = "No hidden layer: the network is a linear classifier (softmax " +
                      "regression), so its regions are split by straight lines.";
    return;
  }
  if (box.childElementCount !== layers.length || box.dataset.shape !==
      layers.map((l) => l.units.length).join(",")) {
    box.replaceChildren(...layers.map((layer, k) => {
      const column = document.createElement("div");
      column.className = "layer";
      const name = document.createElement("div");
      name.className = "name";
      name.textContent = `layer ${k + 1}` + (layer.units.length < layer.size ?
        `\nfirst ${layer.units.length} of ${layer.size}` : `\n${layer.size} units`);
      name.style.whiteSpace = "pre-line";
      const grid = document.createElement("div");
      grid.className = "grid";
      grid.style.setProperty("--columns", Math.ceil(layer.units.length / 8));
      grid.append(...layer.units.map(() => document.createElement("canvas")));
      column.append(name, grid);
      return column;
    }));
    box.dataset.shape = layers.map((l) => l.units.length).join(",");
  }
  layers.forEach((layer, k) => {
    const canvases = box.children[k].querySelectorAll("canvas");
    layer.units.forEach((unit, j) => {
      const pixels = bytes(unit.pixels), image = new ImageData(side, side);
      for (let i = 0; i < side * side; i++) {
        image.data.set([...unitColor(pixels[i] / 255, unit.diverging), 255], 4 * i);
      }
      const canvas = canvases[j];
      canvas.width = canvas.height = side;
      canvas.getContext("2d").putImageData(image, 0, 0);
      canvas.title = `layer ${k + 1}, unit ${j + 1}: from ${fmt(unit.low)} ` +
                     `(${unit.diverging ? "blue" : "white"}) to ${fmt(unit.high)} (orange)`;
    });
  });
}

const fmt = (x) => Number(x.toPrecision(3)).toString();

// Loss and error per epoch, training (solid) and validation (dashed), as two SVG charts.
export function drawCurves(box, curves) {
  const width = Math.max(240, box.clientWidth || 440);
  box.replaceChildren(
    chart(width, "loss (cross-entropy)", curves, "train_loss", "valid_loss", fmt),
    chart(width, "error rate", curves, "train_error", "valid_error", percent));
}

function chart(width, title, curves, trainKey, validKey, label) {
  const height = 120, left = 44, right = 8, top = 16, bottom = 18;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const add = (tag, attributes, text) => {
    const element = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attributes)) element.setAttribute(k, v);
    if (text !== undefined) element.textContent = text;
    svg.append(element);
    return element;
  };
  const last = curves.length ? curves[curves.length - 1].epoch : 0;
  const values = curves.flatMap((row) => [row[trainKey], row[validKey]]);
  const top_ = Math.max(1e-9, ...values.filter(Number.isFinite)) * 1.05;
  const x = (epoch) => left + (width - left - right) * (last ? epoch / last : 0);
  const y = (v) => top + (height - top - bottom) * (1 - Math.min(v, top_) / top_);
  add("text", {x: left, y: 10, class: "title"}, title);
  for (const t of [0, 0.5, 1]) {
    add("line", {x1: left, x2: width - right, y1: y(t * top_), y2: y(t * top_), class: "grid"});
    add("text", {x: left - 5, y: y(t * top_) + 3, "text-anchor": "end"}, label(t * top_));
  }
  add("line", {x1: left, x2: width - right, y1: y(0), y2: y(0), class: "axis"});
  add("text", {x: left, y: height - 4}, "epoch 0");
  add("text", {x: width - right, y: height - 4, "text-anchor": "end"}, `epoch ${last}`);
  for (const [key, cls] of [[trainKey, "train"], [validKey, "valid"]]) {
    const points = curves.filter((row) => Number.isFinite(row[key]))
      .map((row) => `${x(row.epoch).toFixed(1)},${y(row[key]).toFixed(1)}`);
    if (points.length) add("polyline", {points: points.join(" "), class: cls});
  }
  return svg;
}
