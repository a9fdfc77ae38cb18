// autograd_flow playground: the page. It asks the server for a session of its own,
// sends the controls to it, and draws what the server streams back (server-sent events:
// "setup" when settings or data change, "frame" several times a second, "graph" about
// once a second while training). Nothing is loaded from outside this server.
import {CLASS_COLORS, drawCurves, drawRegions, drawUnits, percent} from "./pictures.js";
import {selectNode, showGraph} from "./graph.js";

const page = {
  id: null,           // this tab's session
  events: null,       // its EventSource
  setup: null,        // the last "setup" payload (settings, data points, code)
  frame: null,        // the last "frame" payload
  running: false,
  requestError: "",   // from the last control sent (bad settings, a bad CSV)
  trainingError: "",  // from the server's frame (training diverged)
  requests: 0,        // controls sent so far
  errorFrom: 0,       // the request whose answer set the error shown
  selected: null,     // id of the graph node clicked
  dataset: "spirals", // the data set before the select changed (to undo a cancelled CSV)
};

const $ = (id) => document.getElementById(id);
const form = () => $("settings");

// -- talking to the server -------------------------------------------------------------

// POST a control; returns the answer, or null after showing the error. With ``clears``,
// success clears the error shown. Answers can arrive out of order (a reset waits for
// Graphviz), so an answer only changes the error shown if no later request has already.
async function post(action, body, {clears = false, contentType = "application/json"} = {}) {
  const url = action === "" ? "/api/sessions" : `/api/sessions/${page.id}/${action}`;
  const request = ++page.requests;
  let response, payload;
  try {
    response = await fetch(url, {method: "POST", body, headers: {"Content-Type": contentType}});
    payload = await response.json().catch(() => ({error: `HTTP ${response.status}`}));
  } catch (error) {
    response = null;
    payload = {error: "cannot reach the playground server: is it still running?"};
  }
  const ok = response !== null && response.ok;
  if ((!ok || clears) && request > page.errorFrom) {
    page.errorFrom = request;
    if (ok) clearRequestError();
    else showRequestError(payload);
  }
  return ok ? payload : null;
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
  events.addEventListener("graph", (e) =>
    showGraph($("graph"), $("box-info"), JSON.parse(e.data), page.selected));
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
  await post("settings", JSON.stringify(values), {clears: true});
}

async function uploadCsv(file) {
  const text = await file.text();
  const state = await post(`csv?name=${encodeURIComponent(file.name)}`, text,
                          {clears: true, contentType: "text/csv"});
  $("csv").value = "";
  if (!state) form().elements.dataset.value = page.dataset;
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
  $("reset").addEventListener("click", () => post("reset", undefined, {clears: true}));
  $("expand").addEventListener("change", (e) =>
    post("view", JSON.stringify({expanded: e.target.checked})));
  $("graph").addEventListener("click", (event) => {
    const node = event.target.closest("g.node");
    if (!node) return;
    event.preventDefault();
    page.selected = node.id;
    selectNode($("graph"), $("box-info"), node.id);
  });
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
  if (page.frame) drawRegions($("regions"), page.frame.plane, data);
}

function item(color, label, ring) {
  const span = document.createElement("span");
  const dot = document.createElement("i");
  dot.style.background = color;
  if (ring) dot.className = "ring";
  span.append(dot, label);
  return span;
}

// -- frames: numbers, and the pictures of pictures.js ----------------------------------

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
  const shown = (x, show) => (x === null ? "NaN" : show(x));   // null: NaN or infinite
  $("loss").textContent = shown(ev.train_loss, (x) => x.toFixed(4));
  $("valid-loss").textContent = shown(ev.valid_loss, (x) => x.toFixed(4));
  $("train-error").textContent = shown(ev.train_error, percent);
  $("valid-error").textContent = shown(ev.valid_error, percent);
  $("lr-now").textContent = Number(frame.lr_now.toPrecision(3));
  $("rate").textContent = frame.running ? frame.epochs_per_second : "–";
  if (page.setup) drawRegions($("regions"), frame.plane, page.setup.data);
  drawUnits($("units"), frame.plane.layers, frame.plane.unit_side);
  drawCurves($("curve"), frame.curves);
}

wireControls();
start();
