// The lecture's lessons drawn from the server's results: the capacity view (training and
// validation error against a swept setting) and Newton versus gradient descent.
import {drawRegionsSmall, fmt, lineChart, logTicks, percent} from "./pictures.js";

const errorText = (task, x) => (x === null ? "diverged" : task === "regression" ? fmt(x) : percent(x));

// A "capacity" payload: the chart and a sentence naming both errors at each end and the
// value with the lowest validation error.
export function drawCapacity(chart, text, capacity) {
  if (!capacity.sweep) {
    chart.replaceChildren();
    text.textContent = "";
    return;
  }
  const values = capacity.values, rows = capacity.rows, task = capacity.task;
  const position = (value) => values.indexOf(value);
  const series = [["train_error", "training error", "train"], ["valid_error", "validation error", "valid"]]
    .map(([key, name, cls]) => ({name, cls, points: rows.map((r) => [position(r.value), r[key]])}));
  const errors = rows.flatMap((r) => [r.train_error, r.valid_error]).filter(Number.isFinite);
  const top = Math.max(task === "regression" ? 1e-3 : 0.05, ...errors) * 1.1;
  const width = Math.max(260, chart.clientWidth || 600);
  chart.replaceChildren(lineChart(width, 170, `${task === "regression" ?
    "mean squared error" : "error rate"} after ${capacity.epochs} epochs against ${capacity.label}`,
  series, {min: 0, max: values.length - 1, ticks: values.map((_, i) => i),
    label: (i) => `${values[i]}`},
  {min: 0, max: top, ticks: [0, top / 2, top], label: (v) => errorText(task, v)}));
  const done = rows.length === values.length;
  const lines = [done ? `${rows.length} networks trained, ${capacity.epochs} epochs each.` :
    `Training network ${rows.length + 1} of ${values.length} (${capacity.epochs} epochs each)…`];
  const finite = rows.filter((r) => r.valid_error !== null);
  if (finite.length) {
    const first = finite[0], last = finite[finite.length - 1];
    const best = finite.reduce((a, b) => (b.valid_error < a.valid_error ? b : a));
    lines.push(`At ${capacity.label} ${first.value}: training error ` +
      `${errorText(task, first.train_error)}, validation error ${errorText(task, first.valid_error)}; ` +
      `at ${last.value}: training error ${errorText(task, last.train_error)}, validation error ` +
      `${errorText(task, last.valid_error)}. The lowest validation error, ` +
      `${errorText(task, best.valid_error)}, is at ${best.value}.`);
  }
  text.textContent = lines.join(" ");
}

// A "compare" answer: the loss per iteration of each method (log scale), the regions each
// reached, and a sentence with the final losses and times.
export function drawNewton(chart, regions, text, result, data) {
  const width = Math.max(260, chart.clientWidth || 500);
  const classes = ["newton-gd", "newton-exact", "newton-cg"];
  const series = result.methods.map((m, k) => ({name: m.name.split(" (")[0], cls: classes[k],
    points: m.losses.map((loss, i) => [i, loss])}));
  const losses = result.methods.flatMap((m) => m.losses).filter((v) => Number.isFinite(v) && v > 0);
  const low = Math.min(...losses) * 0.8, high = Math.max(...losses) * 1.2;
  const iterations = Math.max(...result.methods.map((m) => m.losses.length - 1));
  chart.replaceChildren(lineChart(width, 190, `training loss per iteration (full batch), ` +
    `a ${result.hidden}-unit network with ${result.parameters} parameters`, series,
  {min: 0, max: iterations, ticks: [0, Math.round(iterations / 2), iterations], label: (v) => `${v}`},
  {log: true, min: low, max: high, ticks: logTicks(low, high), label: fmt}));
  regions.replaceChildren(...result.methods.map((m) => {
    const figure = document.createElement("figure");
    const canvas = document.createElement("canvas");
    drawRegionsSmall(canvas, {...m.plane, grid: result.grid}, data);
    const caption = document.createElement("figcaption");
    caption.textContent = m.name.split(" (")[0];
    figure.append(canvas, caption);
    return figure;
  }));
  text.textContent = result.methods.map((m) => `${m.name}: loss ${m.losses[m.losses.length - 1] ===
    null ? "diverged" : fmt(m.losses[m.losses.length - 1])} after ${m.losses.length - 1} ` +
    `iterations in ${m.seconds} s (validation error ${errorText(result.task, m.valid_error)})`)
    .join("; ") + ". Newton's step solves with the exact Hessian (2n gradients each), so " +
    "it needs few iterations, each costing many gradients; NewtonCG uses only " +
    "Hessian-vector products.";
}
