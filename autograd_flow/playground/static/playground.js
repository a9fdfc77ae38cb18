// autograd_flow playground: the page. It asks the server for a session of its own (with
// the settings its URL holds), sends each control as it changes, and draws what the
// server streams back (server-sent events: "setup" when settings or data change, "frame"
// several times a second, "graph" about once a second while training, "capacity" as the
// bias-variance sweep runs). The settings live in the URL's fragment, so a reload or a
// link restores them. Nothing is loaded from outside this server.
import {CLASS_COLORS, drawCurves, drawRegions, fmt, percent, shade} from "./pictures.js";
import {drawNetwork} from "./network.js";
import {playStep, selectNode, showGraph} from "./graph.js";
import {drawCapacity, drawNewton} from "./lessons.js";

const page = {
  id: null,           // this tab's session
  setup: null,        // the last "setup" payload (settings, data points, code)
  frame: null,        // the last "frame" payload
  running: false,
  generalError: "",   // from the last control that failed as a whole (a network error…)
  fieldErrors: {},    // a message per bad field, until that field is sent again
  fieldRequest: {},   // the latest request that sent each field (answers may cross)
  trainingError: "",  // from the server's frame (training diverged)
  requests: 0,        // controls sent so far
  selected: null,     // id of the graph node clicked
  dataset: "spirals", // the data set before the select changed (to undo a cancelled CSV)
  graphWaiters: [],   // [update, resolve]: a play waiting for the drawing of its update
  playing: false,
  sweepAsked: null,   // the settings and sweep of the capacity run last asked for
};

const VIEW = ["discretize", "expand", "sweep", "sweep_epochs"];  // URL keys that are not settings

const $ = (id) => document.getElementById(id);
const form = () => $("settings");

// -- talking to the server -------------------------------------------------------------

// POST a control; returns the answer, or null after showing the error. ``fields``: the
// settings sent, whose errors the answer replaces; ``clears``: success clears the
// general error shown.
async function post(action, body, {fields = null, clears = false, contentType = "application/json"} = {}) {
  const url = action === "" ? "/api/sessions" : `/api/sessions/${page.id}/${action}`;
  const request = ++page.requests;
  for (const name of fields || []) page.fieldRequest[name] = request;
  let response, payload;
  try {
    response = await fetch(url, {method: "POST", body, headers: {"Content-Type": contentType}});
    payload = await response.json().catch(() => ({error: `HTTP ${response.status}`}));
  } catch (error) {
    response = null;
    payload = {error: "cannot reach the playground server: is it still running?"};
  }
  const ok = response !== null && response.ok;
  const answered = payload.fields || {};
  if (fields && (ok || Object.keys(answered).length)) {
    for (const name of fields) {
      if (page.fieldRequest[name] !== request) continue;   // a later request sent it again
      if (answered[name]) page.fieldErrors[name] = name === "csv" ? payload.error : answered[name];
      else delete page.fieldErrors[name];
    }
    if (clears) page.generalError = "";
  } else if (!ok) {
    page.generalError = payload.error || "the request failed";
  } else if (clears) {
    page.generalError = "";
  }
  renderErrors();
  return ok ? payload : null;
}

async function start() {
  const {settings, view} = readUrl();
  const session = await post("", JSON.stringify(settings), {fields: Object.keys(settings)});
  if (!session) return;
  page.id = session.id;
  document.body.dataset.session = session.id;
  fillChoices(session.choices);
  applyView(view);
  fillForm(session.settings);
  for (const id of ["start", "step", "reset"]) $(id).disabled = false;
  listen();
}

function listen() {
  const events = new EventSource(`/api/sessions/${page.id}/events`);
  events.addEventListener("setup", (e) => onSetup(JSON.parse(e.data)));
  events.addEventListener("frame", (e) => onFrame(JSON.parse(e.data)));
  events.addEventListener("graph", (e) => onGraph(JSON.parse(e.data)));
  events.addEventListener("capacity", (e) => {
    page.capacity = JSON.parse(e.data);
    drawCapacity($("capacity-chart"), $("capacity-text"), page.capacity);
  });
  events.addEventListener("open", () => setStatus());
  events.addEventListener("error", () => {
    if (events.readyState === EventSource.CLOSED) {
      page.generalError = "this tab's session has ended (the server stopped or forgot " +
                          "it): reload the page";
      renderErrors();
    }
    setStatus(events.readyState === EventSource.CONNECTING ? "reconnecting…" : "offline");
  });
}

// Send the settings that changed (only those: one bad field never blocks another).
function send(values) {
  return post("settings", JSON.stringify(values), {fields: Object.keys(values), clears: true});
}

async function uploadCsv(file) {
  const text = await file.text();
  const state = await post(`csv?name=${encodeURIComponent(file.name)}`, text,
                           {fields: ["csv"], clears: true, contentType: "text/csv"});
  $("csv").value = "";
  if (!state) form().elements.dataset.value = page.dataset;
}

// -- the URL ---------------------------------------------------------------------------

function readUrl() {
  const settings = {}, view = {};
  for (const [name, value] of new URLSearchParams(location.hash.slice(1))) {
    (VIEW.includes(name) ? view : settings)[name] = value;
  }
  return {settings, view};
}

// The page's own options from the URL (those it leaves out keep their value).
function applyView(view) {
  if (view.discretize !== undefined) $("discretize").checked = view.discretize === "1";
  if (view.expand !== undefined && $("expand").checked !== (view.expand === "1")) {
    $("expand").checked = view.expand === "1";
    post("view", JSON.stringify({expanded: $("expand").checked}));
  }
  for (const [name, id] of [["sweep", "sweep"], ["sweep_epochs", "sweep-epochs"]]) {
    if ([...$(id).options].some((option) => option.value === view[name])) $(id).value = view[name];
  }
}

// A URL edited by hand, or a link opened in this tab: apply what it holds.
function onHashChange() {
  const {settings, view} = readUrl();
  applyView(view);
  if (Object.keys(settings).length) send(settings);
  else writeUrl();
}

function writeUrl() {
  if (!page.setup) return;
  const params = new URLSearchParams(page.setup.settings);
  params.set("discretize", $("discretize").checked ? "1" : "0");
  params.set("expand", $("expand").checked ? "1" : "0");
  params.set("sweep", $("sweep").value);
  params.set("sweep_epochs", $("sweep-epochs").value);
  history.replaceState(null, "", `#${params}`);
}

// -- controls --------------------------------------------------------------------------

function fillChoices(choices) {
  for (const name of ["activation", "decay", "speed"]) {
    const select = form().elements[name];
    select.replaceChildren(...choices[name].map((value) => new Option(value, value)));
  }
  $("features").append(...Object.entries(choices.features).map(([name, shown]) => {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "features";
    box.value = name;
    box.dataset.testid = `feature-${name}`;
    label.append(box, ` ${shown}`);
    return label;
  }));
  $("sweep").replaceChildren(...Object.entries(choices.sweep).map(([k, v]) => new Option(v, k)));
  $("sweep-epochs").replaceChildren(...choices.sweep_epochs.map((e) => new Option(e, e)));
  $("sweep-epochs").value = "50";
}

function fillForm(settings) {
  for (const [name, value] of Object.entries(settings)) {
    if (name === "features") {
      const chosen = value.split(",");
      for (const box of $("features").querySelectorAll("input")) box.checked = chosen.includes(box.value);
      continue;
    }
    const element = form().elements[name];
    // a field being edited, or holding a refused value, keeps what the person wrote
    if (element && document.activeElement !== element && !(name in page.fieldErrors)) {
      element.value = value;
    }
  }
  $("noise-value").textContent = Number(form().elements.noise.value).toFixed(2);
  $("ratio-value").textContent = `${form().elements.ratio.value}%`;
  page.dataset = settings.dataset;
}

function hiddenSizes() {
  return page.setup ? page.setup.sizes.slice(1, -1) : [];
}

function sendHidden(sizes) {
  send({hidden: sizes.length ? sizes.join(",") : "0"});
}

function wireControls() {
  form().addEventListener("submit", (e) => e.preventDefault());  // "change" sends
  form().addEventListener("change", (e) => {
    const target = e.target;
    if (target.id === "csv") {
      if (target.files.length) uploadCsv(target.files[0]);
      return;
    }
    if (target.name === "dataset" && target.value === "csv") {
      $("csv").click();   // choose the file; the upload switches the data set
      target.value = page.dataset;
      return;
    }
    if (target.name === "features") {
      const chosen = [...$("features").querySelectorAll("input:checked")].map((b) => b.value);
      send({features: chosen.join(",")});
      return;
    }
    if (target.name) send({[target.name]: target.value});
  });
  form().elements.noise.addEventListener("input", (e) => {
    $("noise-value").textContent = Number(e.target.value).toFixed(2);
  });
  form().elements.ratio.addEventListener("input", (e) => {
    $("ratio-value").textContent = `${e.target.value}%`;
  });
  $("start").addEventListener("click", () => post(page.running ? "pause" : "start"));
  $("step").addEventListener("click", () => post("step"));
  $("reset").addEventListener("click", () => post("reset", undefined, {clears: true}));
  $("layers-plus").addEventListener("click", () => {
    const sizes = hiddenSizes();
    sendHidden([...sizes, sizes.length ? sizes[sizes.length - 1] : 4]);
  });
  $("layers-minus").addEventListener("click", () => sendHidden(hiddenSizes().slice(0, -1)));
  $("permute").addEventListener("click", async () => {
    const answer = await post("permute", undefined, {clears: true});
    $("permute-note").textContent = answer ? answer.message : "";
  });
  $("discretize").addEventListener("change", () => {
    if (page.frame) drawOutput(page.frame);
    writeUrl();
  });
  $("expand").addEventListener("change", (e) => {
    post("view", JSON.stringify({expanded: e.target.checked}));
    writeUrl();
  });
  $("play").addEventListener("click", play);
  $("graph").addEventListener("click", (event) => {
    const node = event.target.closest("g.node");
    if (!node) return;
    event.preventDefault();
    page.selected = node.id;
    selectNode($("graph"), $("box-info"), node.id);
  });
  $("capacity").addEventListener("toggle", () => {
    if ($("capacity").open) runSweep(false);
  });
  for (const id of ["sweep", "sweep-epochs"]) {
    $(id).addEventListener("change", () => { writeUrl(); runSweep(true); });
  }
  $("sweep-run").addEventListener("click", () => runSweep(true));
  $("newton").addEventListener("toggle", () => { if ($("newton").open) runNewton(); });
  $("newton-run").addEventListener("click", runNewton);
  new ResizeObserver(() => {
    $("network").dataset.shape = "";   // the columns moved: lay the lines out again
    if (page.frame) onFrame(page.frame);
  }).observe($("network"));
  window.addEventListener("pagehide", (e) => {
    if (page.id && !e.persisted) navigator.sendBeacon(`/api/sessions/${page.id}/close`);
  });
  window.addEventListener("pageshow", (e) => { if (e.persisted) location.reload(); });
  window.addEventListener("hashchange", onHashChange);
}

// Resize hidden layer k to ``units`` (the network diagram's - and + buttons).
function resizeLayer(k, units) {
  const sizes = hiddenSizes();
  sizes[k] = units;
  sendHidden(sizes);
}

// -- the lessons -------------------------------------------------------------------------

// Run the capacity sweep unless the one shown was run with these settings (``again``: run
// it anyway).
function runSweep(again) {
  if (!page.setup) return;
  const asked = JSON.stringify([page.setup.settings, $("sweep").value, $("sweep-epochs").value]);
  if (!again && asked === page.sweepAsked) return;
  page.sweepAsked = asked;
  post("capacity", JSON.stringify({sweep: $("sweep").value, epochs: Number($("sweep-epochs").value)}));
}

async function runNewton() {
  $("newton-text").textContent = "Training the tiny network three ways…";
  $("newton-run").disabled = true;
  const result = await post("compare");
  $("newton-run").disabled = false;
  if (result && page.setup) drawNewton($("newton-chart"), $("newton-regions"), $("newton-text"), result, page.setup.data);
  else $("newton-text").textContent = "";
}

// -- one step, played through the flow graph ---------------------------------------------

function graphUpdate() {
  const title = $("graph").querySelector("svg g.graph > text");
  const match = title && /after update (\d+)/.exec(title.textContent);
  return match ? Number(match[1]) : -1;
}

function onGraph(graph) {
  showGraph($("graph"), $("box-info"), graph, page.selected);
  const drawn = graphUpdate();
  page.graphWaiters = page.graphWaiters.filter(([update, resolve]) => {
    if (drawn < update) return true;
    resolve();
    return false;
  });
}

async function play() {
  if (page.playing) return;
  page.playing = true;
  $("play").disabled = true;
  const state = await post("step");
  if (state) {
    $("play-status").textContent = "making one update…";
    await new Promise((resolve) => {
      if (graphUpdate() >= state.updates) resolve();
      else page.graphWaiters.push([state.updates, resolve]);
      setTimeout(resolve, 15000);
    });
    await playStep($("graph"), $("box-info"), $("play-status"), Number($("play").dataset.delay));
  }
  page.playing = false;
  $("play").disabled = false;
}

// -- errors, warnings and status ---------------------------------------------------------

function renderErrors() {
  for (const element of form().elements) element.classList.remove("invalid");
  for (const name of Object.keys(page.fieldErrors)) {
    const element = name === "csv" ? $("csv") : name === "features" ? $("features") :
      form().elements[name];
    if (element && element.classList) element.classList.add("invalid");
  }
  const text = [page.generalError, ...Object.values(page.fieldErrors), page.trainingError]
    .filter(Boolean).join("\n");
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
  $("data-note").textContent = `${data.train.length} training and ${data.valid.length} ` +
    `validation points` + (data.note ? ` (${data.note})` : "");
  $("layer-count").textContent = setup.sizes.length - 2;
  $("layers-plus").disabled = setup.sizes.length - 2 >= 6;
  $("layers-minus").disabled = setup.sizes.length - 2 <= 0;
  $("permute").disabled = !(setup.sizes.length > 2 && setup.sizes[1] >= 2);
  $("python").textContent = setup.python;
  const regression = data.task === "regression";
  $("error-name").textContent = regression ? "MSE (train)" : "error (train)";
  $("valid-error-name").textContent = regression ? "MSE (valid)" : "error (valid)";
  const legend = $("legend");
  legend.replaceChildren(...(regression ?
    [item(`rgb(${shade(0, true).join(",")})`, "−1", false), item("#ffffff", "0", false),
     item(`rgb(${shade(1, true).join(",")})`, "+1 (the value)", false)] :
    data.classes.map((name, k) => item(CLASS_COLORS[k], `class ${name}`, false))),
  item("#6b7280", "training", false), item("#6b7280", "validation", true));
  writeUrl();
  if ($("capacity").open) runSweep(false);
}   // the server sends a frame of the new network right after

function item(color, label, ring) {
  const span = document.createElement("span");
  const dot = document.createElement("i");
  dot.style.background = color;
  if (ring) dot.className = "ring";
  span.append(dot, label);
  return span;
}

// -- frames: numbers, and the pictures of pictures.js and network.js ------------------

function drawOutput(frame) {
  const canvas = $("regions");
  drawRegions(canvas, frame.plane, page.setup.data, $("discretize").checked,
              canvas.clientWidth || 360);
}

function onFrame(frame) {
  page.frame = frame;
  page.running = frame.running;
  page.trainingError = frame.error || "";
  renderErrors();
  setStatus();
  $("warning").textContent = frame.warning || "";
  $("warning").hidden = !frame.warning;
  const start = $("start");
  start.textContent = frame.running ? "Pause" : "Start";
  start.classList.toggle("running", frame.running);
  const ev = frame.evaluation;
  $("epoch").textContent = frame.epoch;
  $("updates").textContent = frame.updates;
  const shown = (x, show) => (x === null ? "NaN" : show(x));   // null: NaN or infinite
  const error = page.setup && page.setup.data.task === "regression" ? (x) => x.toFixed(4) : percent;
  $("loss").textContent = shown(ev.train_loss, (x) => x.toFixed(4));
  $("valid-loss").textContent = shown(ev.valid_loss, (x) => x.toFixed(4));
  $("train-error").textContent = shown(ev.train_error, error);
  $("valid-error").textContent = shown(ev.valid_error, error);
  $("lr-now").textContent = fmt(frame.lr_now);
  $("rate").textContent = frame.running ? frame.epochs_per_second : "–";
  if (!page.setup) return;
  drawOutput(frame);
  drawNetwork($("network"), page.setup, frame.plane, resizeLayer);
  drawCurves($("curve"), frame.curves, frame.chance, page.setup.data.task);
}

wireControls();
start();
