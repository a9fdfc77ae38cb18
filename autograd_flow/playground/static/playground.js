// autograd_flow playground: the page. It asks the server for a session of its own,
// sends the controls to it, and draws what the server streams back (server-sent events:
// "setup" when settings or data change, "frame" several times a second, "graph" about
// once a second while training). Nothing is loaded from outside this server.
"use strict";

const CLASS_COLORS = ["#ea580c", "#2563eb", "#16a34a", "#9333ea", "#dc2626",
                      "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"];
const NEG = [37, 99, 235], POS = [234, 88, 12], WHITE = [255, 255, 255];
const XLINK = "http://www.w3.org/1999/xlink";
const SVG = "http://www.w3.org/2000/svg";

const page = {
  id: null,           // this tab's session
  events: null,       // its EventSource
  setup: null,        // the last "setup" payload (settings, data points, code)
  frame: null,        // the last "frame" payload
  running: false,
  requestError: "",   // from the last control sent (bad settings, a bad CSV)
  trainingError: "",  // from the server's frame (training diverged)
  selected: null,     // id of the graph node clicked
  dataset: "spirals", // the data set before the select changed (to undo a cancelled CSV)
};

const $ = (id) => document.getElementById(id);
const form = () => $("settings");

// -- talking to the server -------------------------------------------------------------

async function post(action, body, contentType = "application/json") {
  const url = action === "" ? "/api/sessions" : `/api/sessions/${page.id}/${action}`;
  let response;
  try {
    response = await fetch(url, {method: "POST", body, headers: {"Content-Type": contentType}});
  } catch (error) {
    showRequestError({error: "cannot reach the playground server: is it still running?"});
    return null;
  }
  const payload = await response.json().catch(() => ({error: `HTTP ${response.status}`}));
  if (!response.ok) {
    showRequestError(payload);
    return null;
  }
  return payload;
}

async function start() {
  const session = await post("");
  if (!session) return;
  page.id = session.id;
  document.body.dataset.session = session.id;
  fillChoices(session.choices);
  fillForm(session.settings);
  for (const id of ["start", "step", "reset"]) $(id).disabled = false;
  listen();
}

function listen() {
  const events = new EventSource(`/api/sessions/${page.id}/events`);
  page.events = events;
  events.addEventListener("setup", (e) => onSetup(JSON.parse(e.data)));
  events.addEventListener("frame", (e) => onFrame(JSON.parse(e.data)));
  events.addEventListener("graph", (e) => onGraph(JSON.parse(e.data)));
  events.addEventListener("open", () => setStatus());
  events.addEventListener("error", () => {
    if (events.readyState === EventSource.CLOSED) {
      showRequestError({error: "this tab's session has ended (the server stopped or " +
                               "forgot it): reload the page"});
    }
    setStatus(events.readyState === EventSource.CONNECTING ? "reconnecting…" : "offline");
  });
}

async function sendSettings() {
  const values = {};
  for (const element of form().elements) {
    if (element.name) values[element.name] = element.value;
  }
  const state = await post("settings", JSON.stringify(values));
  if (state) clearRequestError();
}

async function uploadCsv(file) {
  const text = await file.text();
  const state = await post(`csv?name=${encodeURIComponent(file.name)}`, text, "text/csv");
  $("csv").value = "";
  if (state) clearRequestError();
  else form().elements.dataset.value = page.dataset;
}

// -- controls --------------------------------------------------------------------------

function fillChoices(choices) {
  for (const name of ["activation", "decay", "speed"]) {
    const select = form().elements[name];
    select.replaceChildren(...choices[name].map((value) => new Option(value, value)));
  }
}

function fillForm(settings) {
  for (const [name, value] of Object.entries(settings)) {
    const element = form().elements[name];
    if (element && document.activeElement !== element) element.value = value;
  }
  $("noise-value").textContent = Number(settings.noise).toFixed(2);
  page.dataset = settings.dataset;
}

function wireControls() {
  form().addEventListener("submit", (e) => e.preventDefault());  // "change" sends
  form().addEventListener("change", (e) => {
    if (e.target.id === "csv") {
      if (e.target.files.length) uploadCsv(e.target.files[0]);
      return;
    }
    if (e.target.name === "dataset" && e.target.value === "csv") {
      $("csv").click();   // choose the file; the upload switches the data set
      e.target.value = page.dataset;
      return;
    }
    sendSettings();
  });
  form().elements.noise.addEventListener("input", (e) => {
    $("noise-value").textContent = Number(e.target.value).toFixed(2);
  });
  $("start").addEventListener("click", () => post(page.running ? "pause" : "start"));
  $("step").addEventListener("click", () => post("step"));
  $("reset").addEventListener("click", async () => {
    if (await post("reset")) clearRequestError();
  });
  $("expand").addEventListener("change", (e) =>
    post("view", JSON.stringify({expanded: e.target.checked})));
  $("graph").addEventListener("click", onGraphClick);
  window.addEventListener("pagehide", (e) => {
    if (page.id && !e.persisted) navigator.sendBeacon(`/api/sessions/${page.id}/close`);
  });
  window.addEventListener("pageshow", (e) => { if (e.persisted) location.reload(); });
}

// -- errors and status -----------------------------------------------------------------

function showRequestError(payload) {
  page.requestError = payload.error || "the request failed";
  for (const element of form().elements) element.classList.remove("invalid");
  for (const name of Object.keys(payload.fields || {})) {
    const element = name === "csv" ? $("csv") : form().elements[name];
    if (element) element.classList.add("invalid");
  }
  renderError();
}

function clearRequestError() {
  page.requestError = "";
  for (const element of form().elements) element.classList.remove("invalid");
  renderError();
}

function renderError() {
  const text = page.requestError || page.trainingError;
  $("error").textContent = text;
  $("error").hidden = !text;
}

function setStatus(text) {
  const status = $("status");
  status.textContent = text || (page.running ? "training" : "paused");
  status.classList.toggle("running", !text && page.running);
}

// -- setup: settings, data points, code ------------------------------------------------

function onSetup(setup) {
  page.setup = setup;
  fillForm(setup.settings);
  const data = setup.data;
  const csvOption = form().elements.dataset.querySelector("option[value=csv]");
  csvOption.textContent = setup.settings.dataset === "csv" ? `CSV: ${data.name}` : "your CSV file…";
  $("data-note").textContent = [
    `${data.train.length} training and ${data.valid.length} validation points` +
      (data.note ? ` (${data.note})` : ""),
    `network: ${setup.sizes.join(" → ")} (${setup.settings.activation})`,
  ].join("; ");
  $("python").textContent = setup.python;
  const legend = $("legend");
  legend.replaceChildren(
    ...data.classes.map((name, k) => item(CLASS_COLORS[k], `class ${name}`, false)),
    item("#6b7280", "training", false), item("#6b7280", "validation", true));
  if (page.frame) drawRegions();
}

function item(color, label, ring) {
  const span = document.createElement("span");
  const dot = document.createElement("i");
  dot.style.background = color;
  if (ring) dot.className = "ring";
  span.append(dot, label);
  return span;
}

// -- frames: numbers, regions, hidden units, curves ------------------------------------

function onFrame(frame) {
  page.frame = frame;
  page.running = frame.running;
  page.trainingError = frame.error || "";
  renderError();
  setStatus();
  const start = $("start");
  start.textContent = frame.running ? "Pause" : "Start";
  start.classList.toggle("running", frame.running);
  const ev = frame.evaluation;
  $("epoch").textContent = frame.epoch;
  $("updates").textContent = frame.updates;
  $("loss").textContent = ev.train_loss.toFixed(4);
  $("valid-loss").textContent = ev.valid_loss.toFixed(4);
  $("train-error").textContent = percent(ev.train_error);
  $("valid-error").textContent = percent(ev.valid_error);
  $("lr-now").textContent = Number(frame.lr_now.toPrecision(3));
  $("rate").textContent = frame.running ? frame.epochs_per_second : "–";
  if (page.setup) drawRegions();
  drawUnits(frame.plane.layers, frame.plane.unit_side);
  drawCurves(frame.curves);
}

const percent = (x) => `${(100 * x).toFixed(1)}%`;

function bytes(base64) {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function rgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function mix(a, b, t) {
  return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}

function drawRegions() {
  const plane = page.frame.plane, data = page.setup.data;
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

  const canvas = $("regions"), size = 400, scale = window.devicePixelRatio || 1;
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

function drawUnits(layers, side) {
  const box = $("units");
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

function drawCurves(curves) {
  $("curve").replaceChildren(
    chart("loss (cross-entropy)", curves, "train_loss", "valid_loss", fmt),
    chart("error rate", curves, "train_error", "valid_error", percent));
}

function chart(title, curves, trainKey, validKey, label) {
  const width = Math.max(240, $("curve").clientWidth || 440);
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

// -- the flow graph --------------------------------------------------------------------

function onGraph(graph) {
  const box = $("graph");
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
  if (page.selected) selectNode(page.selected);
}

function onGraphClick(event) {
  const node = event.target.closest("g.node");
  if (!node) return;
  event.preventDefault();
  page.selected = node.id;
  selectNode(node.id);
}

function selectNode(id) {
  const node = $("graph").querySelector(`g.node[id="${CSS.escape(id)}"]`);
  for (const other of $("graph").querySelectorAll("g.node.selected")) {
    other.classList.remove("selected");
  }
  const info = $("box-info");
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

wireControls();
start();
