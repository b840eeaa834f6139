// The live run page: every view is fed by /ws/runs/{id} (a snapshot, then live frames),
// reduced into one state (runstate.js). The canvas data view draws each samples frame as it
// comes; the charts redraw at most four times a second: the step charts (uPlot) from the
// snapshot on, the quality charts and the 1-D view (Plotly) once Plotly has started.
import { drawQuality } from "./charts.js";
import { enableControls, followRates, initControls, showError, wireControls } from "./controls.js";
import { DataView, layerToggles } from "./dataview.js";
import { modelDiagram } from "./diagram.js";
import { fmt, runLabel } from "./format.js";
import { LIFECYCLE } from "./lifecycle.js";
import { drawLine } from "./lineview.js";
import { drawNoise } from "./noiseview.js";
import { wireReplay } from "./replay.js";
import { dataMode, newState, reduce, setRun } from "./runstate.js";
import { stepCharts } from "./stepcharts.js";
import { enableStepper, wireStepper } from "./stepper.js";
import { api, liveSocket, loadScript } from "./transport.js";

const $ = (id) => document.getElementById(id);
const runId = document.querySelector("[data-run-id]").dataset.runId;
const PLOTLY = document.getElementById("plotly").href;  // the preloaded, versioned bundle
const FINAL = LIFECYCLE.terminal;
const state = newState();
let dirty = false;

const dataView = new DataView($("data-view"), $("map-legend"));
layerToggles($("layers"), dataView);
const diagram = modelDiagram($("diagram"));
const charts = stepCharts($("loss-plot"), $("prob-plot"));
const replay = wireReplay(runId, (view) => {
  state.replay = view;
  showData();
});

function onFrame(frame) {
  const changed = reduce(state, frame);
  if (!changed.size) return;
  if (changed.has("reference")) onReference();
  if (changed.has("run")) onRun();
  if (changed.has("alerts")) renderAlerts();
  if (changed.has("rates")) followRates(state.rates);
  if (changed.has("samples") || changed.has("reference")) showData();
  if (changed.has("snapshot")) {
    if (FINAL.includes(state.status)) replay.refresh();
    draw();  // status, step, controls, step charts and the data view now; the rest once Plotly has started
    // After the next paint, so that the figures show before Plotly's start-up holds the page.
    requestAnimationFrame(() => setTimeout(() => loadScript(PLOTLY).then(() => { dirty = true; })));
  }
  dirty = true;
}

function onReference() {
  const reference = state.reference;
  if (reference?.kind !== "points") return;
  dataView.setReference(reference);
  if (reference.latent) drawNoise($("noise-view"), reference.latent);
  if (state.run) initControls(state.run, reference.latent);
}

// The timeline's frame, else the live one: the canvas glides to it at once, Plotly on the next draw.
function showData() {
  const shown = state.replay ?? state.live;
  window.ganwatchView = { reference: state.reference, ...shown, replaying: Boolean(state.replay) };
  const m = dataMode(state);
  $("plane").hidden = m !== "plane";
  $("data-plot").hidden = !["line", "histogram"].includes(m);
  $("images").hidden = m !== "images";
  $("replay-row").hidden = !m;
  diagram.highlight(shown.frame?.phase ?? null);
  if (m === "plane" && shown.frame) dataView.show(shown);
  if (m === "images" && shown.frame) showImage(shown.frame);
  dirty = true;
}

function onRun() {
  const run = state.run;
  initControls(run, state.reference?.latent);
  $("preset").textContent = runLabel(run);
  $("clone").href = `/?clone=${run.id}#launch`;
}

// ---------- rendering, batched: at most one redraw per animation frame, 4 per second ----------
let lastDraw = 0;
function tick(now) {
  if (dirty && now - lastDraw > 250) {
    dirty = false;
    lastDraw = now;
    draw();
  }
  requestAnimationFrame(tick);
}

function draw() {
  const m = state.metrics;
  if (!m) return;
  const step = Math.max(state.step, m.steps.at(-1) ?? 0);
  const total = state.run?.total_steps ?? state.run?.config.steps;
  $("step").textContent = step;
  $("total").textContent = total;
  $("progress").value = total ? step / total : 0;
  const status = $("status");
  status.textContent = state.status + (state.reason && FINAL.includes(state.status) ? `: ${state.reason}` : "");
  status.className = `badge ${state.status}`;
  const live = state.status === "running";
  $("rate").textContent = live && state.rate ? fmt(state.rate, 0) : "–";
  $("eta").textContent = live && state.rate ? `${Math.round((total - step) / state.rate)} s` : "–";
  $("pause").textContent = state.status === "paused" ? "Resume" : "Pause";
  const allowed = (action) => LIFECYCLE.actions[action].includes(state.status);
  $("pause").disabled = !allowed(state.status === "paused" ? "resume" : "pause");
  $("stop").disabled = !allowed("stop");
  enableControls(allowed("controls"));
  enableStepper(state.status === "paused");
  charts.draw(m, state.alerts, state.replay?.frame.step);
  if (!window.Plotly) { dirty = true; return; }  // not started yet: plot once it is
  drawQuality(state.quality);
  const shown = state.replay ?? state.live, mode = dataMode(state);
  if ((mode === "line" || mode === "histogram") && shown.frame) drawLine("data-plot", state.reference, shown, state.run.config);
}

// An image run's grid: the same fixed noise at every step (a v1 frame carries its real grid).
function showImage(frame) {
  const real = frame.real_png ?? state.reference?.real_png;
  $("fake-img").src = `data:image/png;base64,${frame.image_png}`;
  if (real) $("real-img").src = `data:image/png;base64,${real}`;
  $("image-step").textContent = `step ${frame.step}`;
}

function renderAlerts() {
  $("alerts").replaceChildren(...state.alerts.map((a) => {
    const div = document.createElement("div");
    div.className = `alert ${a.kind}`;
    div.setAttribute("role", "alert");
    div.innerHTML = `<b>${a.kind.replace("_", " ")}</b> at step ${a.step}: ${a.message} <i>${a.hint}</i>`;
    return div;
  }));
}

// A command's or a control's answer: the run as the server now has it.
function answered(run) {
  setRun(state, run);
  onRun();
  dirty = true;
}

async function command(name) {
  showError(null);
  try { answered(await api(`/api/runs/${runId}/${name}`, { method: "POST" })); }
  catch (err) { showError(err); }
}

wireControls(runId, answered);
wireStepper(runId, answered);
$("pause").onclick = () => command(state.status === "paused" ? "resume" : "pause");
$("stop").onclick = () => command("stop");

liveSocket(`/ws/runs/${runId}`, onFrame, (s) => { $("connection").textContent = s; });
requestAnimationFrame(tick);
