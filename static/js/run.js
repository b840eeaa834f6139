// The live run page: every view is fed by /ws/runs/{id} (a snapshot, then live frames).
// The canvas data view draws each samples frame as it comes; the Plotly charts redraw at
// most four times a second, once Plotly has started.
import { api, fmt, LIFECYCLE, liveSocket, loadScript, MAX_POINTS } from "./api.js";
import { drawCharts } from "./charts.js";
import { enableControls, initControls, showError, wireControls } from "./controls.js";
import { DataView, layerToggles } from "./dataview.js";
import { modelDiagram } from "./diagram.js";
import { drawLine } from "./lineview.js";
import { drawNoise } from "./noiseview.js";
import { wireReplay } from "./replay.js";
import { enableStepper, wireStepper } from "./stepper.js";

const $ = (id) => document.getElementById(id);
const runId = document.querySelector("[data-run-id]").dataset.runId;
const PLOTLY = "/static/vendor/plotly.min.js";
const FINAL = LIFECYCLE.terminal;
const KEYS = ["steps", "loss_d", "loss_g", "d_real", "d_fake"];
// live: the latest samples frame with the latest heat map and EMA points (only some frames
// carry them); replay: the stored frame the replay slider shows, if any.
const state = { run: null, metrics: null, quality: [], alerts: [], images: [], status: null,
                reference: null, live: {}, replay: null };
let dirty = false, stride = 1, pending = 0;

const dataView = new DataView($("data-view"), $("map-legend"));
layerToggles($("layers"), dataView);
const diagram = modelDiagram($("diagram"));
const replay = wireReplay(runId, (frame) => {
  state.replay = frame && { frame, heatmap: frame.heatmap, ema: frame.ema_points };
  showData();
});

function emptyMetrics() { return Object.fromEntries(KEYS.map((k) => [k, []])); }

// Keep at most MAX_POINTS per trace: when full, drop every other point and double the stride,
// so a long run stays smooth and the curve keeps its shape.
function addMetrics(cols) {
  for (let i = 0; i < cols.steps.length; i++) {
    pending += 1;
    if (pending < stride) continue;
    pending = 0;
    for (const k of KEYS) state.metrics[k].push(cols[k][i]);
  }
  if (state.metrics.steps.length > MAX_POINTS) {
    for (const k of KEYS) state.metrics[k] = state.metrics[k].filter((_, j) => j % 2 === 0);
    stride *= 2;
  }
}

function onFrame(frame) {
  switch (frame.type) {
    case "snapshot": {
      state.run = frame.run;
      state.status = frame.run.status;
      state.metrics = emptyMetrics();
      stride = 1; pending = 0;
      addMetrics(frame.history.metrics);
      state.quality = frame.history.quality;
      state.alerts = frame.history.alerts;
      state.images = [];
      state.live = {};
      if (frame.history.reference) onReference(frame.history.reference);
      frame.history.samples.forEach(onSamples);
      onRun(frame.run);
      renderAlerts();
      if (["plane", "line"].includes(mode())) replay.refresh();
      draw();  // status, step, controls and the data view now; the charts once Plotly has started
      // After the next paint, so that the figures show before Plotly's start-up holds the page.
      requestAnimationFrame(() => setTimeout(() => loadScript(PLOTLY).then(() => { dirty = true; })));
      return;
    }
    case "metrics":
      addMetrics(frame);
      state.rate = frame.steps_per_second;
      state.step = frame.step;
      break;
    case "reference": onReference(frame); break;
    case "samples": onSamples(frame); break;
    case "quality": state.quality.push(frame); break;
    case "alert": state.alerts.push(frame); renderAlerts(); break;
    case "status":
      state.status = frame.status;
      if (frame.reason) state.reason = frame.reason;
      break;
    default: return;
  }
  dirty = true;
}

// A v1 run (recorded before reference frames) carries its real points and map axes in each frame.
function legacyReference(frame) {
  const h = frame.heatmap;
  return { kind: "points", dim: frame.points[0]?.length, real: frame.real, latent: null,
           map: h?.x ? { x: h.x, y: h.y, label: "D(x): probability that x is real", probability: true } : null };
}

function onReference(reference) {
  state.reference = reference;
  if (reference.kind === "points") {
    dataView.setReference(reference);
    if (reference.latent) drawNoise($("noise-view"), reference.latent);
    if (state.run) initControls(state.run, reference.latent);
  }
  showData();
}

function onSamples(frame) {
  if (frame.kind === "images") {
    state.images.push({ step: frame.step, fake: frame.image_png, real: frame.real_png });
    if (state.images.length > 200) state.images.shift();
    if (state.images.length === 1) showData();  // the first grid: show the image panel
    return;
  }
  if (!state.reference && frame.real) onReference(legacyReference(frame));
  state.live = { frame, heatmap: frame.heatmap ?? state.live.heatmap, ema: frame.ema_points ?? state.live.ema };
  showData();
}

// What the data panel shows: images, the 2-D canvas ("plane"), the 1-D view ("line") or histograms.
function mode() {
  const ref = state.reference;
  if (state.images.length || ref?.kind === "images") return "images";
  const dim = ref?.dim ?? state.live.frame?.points?.[0]?.length;
  if (dim === 2) return "plane";
  if (dim === 1 && ref?.map) return "line";
  return dim ? "histogram" : null;
}

// The replayed frame, else the live one: the canvas glides to it at once, Plotly on the next draw.
function showData() {
  const shown = state.replay ?? state.live;
  window.ganwatchView = { reference: state.reference, ...shown, replaying: Boolean(state.replay) };
  const m = mode();
  $("plane").hidden = m !== "plane";
  $("data-plot").hidden = !["line", "histogram"].includes(m);
  $("images").hidden = m !== "images";
  $("replay-row").hidden = !["plane", "line"].includes(m);
  diagram.highlight(shown.frame?.phase ?? null);
  if (m === "plane" && shown.frame) dataView.show(shown);
  dirty = true;
}

function onRun(run) {
  state.run = run;
  initControls(run, state.reference?.latent);
  $("preset").textContent = run.preset ?? run.config.dataset;
  $("clone").href = `/?clone=${run.id}#launch`;
  dirty = true;
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
  const step = Math.max(state.step ?? 0, m.steps.at(-1) ?? 0, state.run?.step ?? 0);
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
  if (!window.Plotly) { dirty = true; return; }  // not started yet: plot once it is
  drawCharts(m, state.quality, state.alerts);
  drawPlotlyData();
}

function drawPlotlyData() {
  const m = mode();
  if (m === "images") {
    const scrubber = $("scrubber");
    const atEnd = Number(scrubber.value) >= Number(scrubber.max);
    scrubber.max = state.images.length - 1;
    if (atEnd) scrubber.value = scrubber.max;
    showImage(Number(scrubber.value));
  }
  const shown = state.replay ?? state.live;
  if ((m === "line" || m === "histogram") && shown.frame) drawLine("data-plot", state.reference, shown, state.run.config);
}

function showImage(i) {
  const snap = state.images[i];
  if (!snap) return;
  const real = snap.real ?? state.reference?.real_png;
  $("fake-img").src = `data:image/png;base64,${snap.fake}`;
  if (real) $("real-img").src = `data:image/png;base64,${real}`;
  $("scrub-step").textContent = `step ${snap.step}`;
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

async function command(name) {
  showError(null);
  try { onRun(await api(`/api/runs/${runId}/${name}`, { method: "POST" })); }
  catch (err) { showError(err); }
}

wireControls(runId, onRun);
wireStepper(runId, onRun);
$("pause").onclick = () => command(state.status === "paused" ? "resume" : "pause");
$("stop").onclick = () => command("stop");
$("scrubber").oninput = (e) => showImage(Number(e.target.value));

liveSocket(`/ws/runs/${runId}`, onFrame, (s) => { $("connection").textContent = s; });
requestAnimationFrame(tick);
