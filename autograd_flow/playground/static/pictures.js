// The playground's pictures, drawn from the server's frames: the decision regions (or the
// value predicted) with the data points, a unit's picture over the plane, and line charts
// (the learning curves, the lessons' charts).

export const CLASS_COLORS = ["#ea580c", "#2563eb", "#16a34a", "#9333ea", "#dc2626",
                             "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"];
export const NEG = [37, 99, 235], POS = [234, 88, 12];
const WHITE = [255, 255, 255];
const SVG = "http://www.w3.org/2000/svg";

export const percent = (x) => `${(100 * x).toFixed(1)}%`;
export const fmt = (x) => Number(Number(x).toPrecision(3)).toString();

export function bytes(base64) {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

export function rgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function mix(a, b, t) {
  return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}

// A value in [0, 1] as a colour: white to ``high`` (one-sided), or blue-white-orange.
export function shade(t, diverging, high = POS) {
  if (!diverging) return mix(WHITE, high, t);
  return t < 0.5 ? mix(NEG, WHITE, 2 * t) : mix(WHITE, POS, 2 * t - 1);
}

// Paint ``side`` x ``side`` uint8 pixels (base64) on ``canvas`` through ``color(t)``.
export function paint(canvas, base64, side, color) {
  const pixels = bytes(base64), image = new ImageData(side, side);
  for (let i = 0; i < side * side; i++) image.data.set([...color(pixels[i] / 255), 255], 4 * i);
  if (canvas.width !== side) canvas.width = canvas.height = side;
  canvas.getContext("2d").putImageData(image, 0, 0);
}

// The colour of each grid point of the plane: the class predicted, paler where unsure
// (solid when discretized); or the value predicted, blue -1 to orange +1 (its sign when
// discretized).
export function regionPixels(plane, task, classes, discretize) {
  const n = plane.grid, image = new ImageData(n, n);
  if (task === "regression") {
    const value = bytes(plane.value);
    for (let i = 0; i < n * n; i++) {
      const t = discretize ? (value[i] >= 128 ? 0.85 : 0.15) : value[i] / 255;
      image.data.set([...mix(WHITE, shade(t, true), 0.75), 255], 4 * i);
    }
    return image;
  }
  const predicted = bytes(plane.predicted), confidence = bytes(plane.confidence);
  const colors = CLASS_COLORS.map(rgb);
  for (let i = 0; i < n * n; i++) {
    const sure = discretize ? 1 :
      Math.max(0, (confidence[i] / 255 - 1 / classes) / (1 - 1 / classes));
    image.data.set([...mix(WHITE, colors[predicted[i]], 0.12 + 0.5 * sure), 255], 4 * i);
  }
  return image;
}

// The regions (see regionPixels) and the points on top: training points as dots,
// validation points as rings. ``size``: the canvas's CSS width in pixels.
export function drawRegions(canvas, plane, data, discretize, size) {
  const image = regionPixels(plane, data.task, data.classes.length, discretize);
  const small = document.createElement("canvas");
  small.width = small.height = plane.grid;
  small.getContext("2d").putImageData(image, 0, 0);

  const scale = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(size * scale)) canvas.width = canvas.height = Math.round(size * scale);
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
  const color = data.task === "regression" ?
    (v) => `rgb(${shade((v + 1) / 2, true).join(",")})` : (k) => CLASS_COLORS[k];
  const radius = Math.max(2.2, size / 120);
  for (const [a, b, k] of data.train) {
    g.beginPath();
    g.arc(x(a), y(b), radius, 0, 2 * Math.PI);
    g.fillStyle = color(k);
    g.fill();
    g.strokeStyle = data.task === "regression" ? "#374151" : "#ffffff";
    g.lineWidth = data.task === "regression" ? 0.6 : 1;
    g.stroke();
  }
  for (const [a, b, k] of data.valid) {
    g.beginPath();
    g.arc(x(a), y(b), radius, 0, 2 * Math.PI);
    g.fillStyle = "rgba(255, 255, 255, 0.85)";
    g.fill();
    g.strokeStyle = color(k);
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

// A line chart as SVG. ``series``: [{name, points: [[x, y], ...], cls}]; ``x``/``y``:
// {log, min, max, ticks, label(v)}; each line is labelled at its end (names the series).
export function lineChart(width, height, title, series, x, y) {
  const left = 46, right = 78, top = 18, bottom = 20;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const add = (tag, attributes, text) => {
    const element = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attributes)) element.setAttribute(k, v);
    if (text !== undefined) element.textContent = text;
    svg.append(element);
    return element;
  };
  const scale = (axis, from, to) => {
    const f = axis.log ? Math.log10 : (v) => v;
    const low = f(axis.min), high = f(axis.max) === low ? low + 1 : f(axis.max);
    return (v) => from + (to - from) * (f(Math.min(Math.max(v, axis.min), axis.max)) - low) / (high - low);
  };
  const sx = scale(x, left, width - right), sy = scale(y, height - bottom, top);
  add("text", {x: left, y: 11, class: "title"}, title);
  for (const v of y.ticks) {
    add("line", {x1: left, x2: width - right, y1: sy(v), y2: sy(v), class: "grid"});
    add("text", {x: left - 5, y: sy(v) + 3, "text-anchor": "end"}, y.label(v));
  }
  for (const v of x.ticks) {
    add("text", {x: sx(v), y: height - 5, "text-anchor": "middle"}, x.label(v));
  }
  add("line", {x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, class: "axis"});
  const ends = [];
  for (const line of series) {
    const points = line.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    if (!points.length) continue;
    add("polyline", {points: points.map(([a, b]) => `${sx(a).toFixed(1)},${sy(b).toFixed(1)}`)
      .join(" "), class: line.cls});
    const [a, b] = points[points.length - 1];
    ends.push({y: sy(b), x: sx(a), text: line.name, cls: line.cls});
  }
  // labels at the lines' ends, pushed apart so that they never overlap
  ends.sort((p, q) => p.y - q.y);
  for (let i = 1; i < ends.length; i++) ends[i].y = Math.max(ends[i].y, ends[i - 1].y + 11);
  for (const end of ends) {
    add("text", {x: end.x + 4, y: end.y + 3, class: `end ${end.cls}`}, end.text);
  }
  return svg;
}

// Ticks 1, 10, 100, ... (or 1, 2, 5, 10, ...) in [low, high] for a log axis.
export function logTicks(low, high) {
  const ticks = [];
  for (let p = Math.floor(Math.log10(low)); p <= Math.ceil(Math.log10(high)); p++) {
    for (const m of (Math.log10(high / low) < 2 ? [1, 2, 5] : [1])) {
      const v = m * 10 ** p;
      if (v >= low * 0.999 && v <= high * 1.001) ticks.push(v);
    }
  }
  return ticks.length ? ticks : [low, high];
}

// The learning curves: loss on a log scale (with the chance level) and, for
// classification, the error rate; the epoch axis is log(1 + epoch), so the first epochs
// keep their room however long the training runs.
export function drawCurves(box, curves, chance, task) {
  const width = Math.max(240, box.clientWidth || 380);
  const last = curves.length ? curves[curves.length - 1].epoch : 0;
  const xTicks = [0, ...logTicks(1, Math.max(1, last))].filter((e) => e <= last);
  const xAxis = {log: true, min: 1, max: last + 1, ticks: xTicks.map((e) => e + 1),
                 label: (v) => (v - 1 >= 1000 ? `${(v - 1) / 1000}k` : `${v - 1}`)};
  const line = (key, name, cls) => ({name, cls, points: curves.map((r) => [r.epoch + 1, r[key]])});
  const losses = curves.flatMap((r) => [r.train_loss, r.valid_loss])
    .filter((v) => Number.isFinite(v) && v > 0);
  const low = Math.min(chance, ...losses) * 0.8, high = Math.max(chance, ...losses) * 1.2;
  const chanceLine = {name: "chance", cls: "chance",
                      points: [[1, chance], [last + 1, chance]]};
  const charts = [lineChart(width, 130, task === "regression" ? "loss (mean squared error, log scale)" :
    "loss (cross-entropy, log scale)", [line("train_loss", "train", "train"),
    line("valid_loss", "valid", "valid"), chanceLine], xAxis,
  {log: true, min: low, max: high, ticks: logTicks(low, high), label: fmt})];
  if (task !== "regression") {
    const errors = curves.flatMap((r) => [r.train_error, r.valid_error]).filter(Number.isFinite);
    const top = Math.max(0.05, ...errors) * 1.05;
    charts.push(lineChart(width, 110, "error rate", [line("train_error", "train", "train"),
      line("valid_error", "valid", "valid")], xAxis,
    {min: 0, max: top, ticks: [0, top / 2, top], label: percent}));
  }
  box.replaceChildren(...charts);
}

// Only the regions (no points), at the grid's resolution: the page's CSS scales it.
export function drawRegionsSmall(canvas, plane, data) {
  canvas.width = canvas.height = plane.grid;
  canvas.getContext("2d").putImageData(
    regionPixels(plane, data.task, data.classes.length, false), 0, 0);
}
