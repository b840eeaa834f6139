// The live run page: every plot is fed by /ws/runs/{id} (a snapshot, then live frames).
import { api, COLORS, CONFIG, fmt, LAYOUT, LIFECYCLE, liveSocket, loadScript, MAX_POINTS } from "./api.js";

const runId = document.querySelector("[data-run-id]").dataset.runId;
const PLOTLY = "/static/vendor/plotly.min.js";
const FINAL = LIFECYCLE.terminal;
const KEYS = ["steps", "loss_d", "loss_g", "d_real", "d_fake"];
const state = { run: null, metrics: null, quality: [], alerts: [], images: [], points: null, status: null };
let dirty = false, stride = 1, pending = 0;

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
      state.points = null;
      frame.history.samples.forEach(onSamples);
      initControls(frame.run);
      renderAlerts();
      draw();  // status, step and controls now; the plots once Plotly has started
      // After the next paint, so that the figures show before Plotly's start-up holds the page.
      requestAnimationFrame(() => setTimeout(() => loadScript(PLOTLY).then(() => { dirty = true; })));
      return;
    }
    case "metrics":
      addMetrics(frame);
      state.rate = frame.steps_per_second;
      state.step = frame.step;
      state.lr = [frame.lr_g, frame.lr_d];
      break;
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

function onSamples(frame) {
  if (frame.kind === "images") {
    state.images.push({ step: frame.step, fake: frame.image_png, real: frame.real_png });
    if (state.images.length > 200) state.images.shift();
  } else state.points = frame;
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

// Plotly.react diffs data by reference; the arrays grow in place, so each draw bumps
// datarevision to make every plot take the new points.
let revision = 0;
const layout = (extra) => ({ ...LAYOUT, datarevision: revision, ...extra });

function draw() {
  const m = state.metrics;
  if (!m) return;
  revision += 1;
  const step = Math.max(state.step ?? 0, m.steps.at(-1) ?? 0, state.run?.step ?? 0);
  const total = state.run?.total_steps ?? state.run?.config.steps;
  document.getElementById("step").textContent = step;
  document.getElementById("total").textContent = total;
  document.getElementById("progress").value = total ? step / total : 0;
  const status = document.getElementById("status");
  status.textContent = state.status + (state.reason && FINAL.includes(state.status) ? `: ${state.reason}` : "");
  status.className = `badge ${state.status}`;
  const live = state.status === "running";
  document.getElementById("rate").textContent = live && state.rate ? fmt(state.rate, 0) : "–";
  document.getElementById("eta").textContent = live && state.rate ? `${Math.round((total - step) / state.rate)} s` : "–";
  document.getElementById("pause").textContent = state.status === "paused" ? "Resume" : "Pause";
  const allowed = (action) => LIFECYCLE.actions[action].includes(state.status);
  document.getElementById("pause").disabled = !allowed(state.status === "paused" ? "resume" : "pause");
  document.getElementById("stop").disabled = !allowed("stop");
  for (const id of ["lr-g", "lr-d", "freeze-g", "freeze-d"])
    document.getElementById(id).disabled = !allowed("controls");
  if (!window.Plotly) { dirty = true; return; }  // not started yet: plot once it is
  drawLosses(m);
  drawProbabilities(m);
  drawData();
  drawQuality();
}

function alertShapes() {
  return state.alerts.map((a) => ({
    type: "line", x0: a.step, x1: a.step, yref: "paper", y0: 0, y1: 1,
    line: { color: COLORS.d, dash: "dot", width: 1.5 },
  }));
}

function drawLosses(m) {
  Plotly.react("loss-plot", [
    { x: m.steps, y: m.loss_d, name: "loss D", line: { color: COLORS.d, width: 1.5 } },
    { x: m.steps, y: m.loss_g, name: "loss G", line: { color: COLORS.g, width: 1.5 } },
  ], layout({ xaxis: { title: { text: "step" } }, shapes: alertShapes(),
       annotations: state.alerts.map((a) => ({ x: a.step, yref: "paper", y: 1, text: a.kind.replace("_", " "),
         showarrow: false, font: { color: COLORS.d, size: 11 }, xanchor: "left" })) }), CONFIG);
}

function drawProbabilities(m) {
  const x0 = m.steps[0] ?? 0, x1 = m.steps.at(-1) ?? 1;
  Plotly.react("prob-plot", [
    { x: m.steps, y: m.d_real, name: "D(x), real", line: { color: COLORS.real, width: 1.5 } },
    { x: m.steps, y: m.d_fake, name: "D(G(z)), generated", line: { color: COLORS.fake, width: 1.5 } },
  ], layout({ yaxis: { range: [0, 1] }, xaxis: { title: { text: "step" } },
       shapes: [{ type: "line", x0, x1, y0: 0.5, y1: 0.5, line: { dash: "dash", color: "#555" } }],
       annotations: [{ x: x1, y: 0.5, text: "D can no longer tell: 0.5", showarrow: false,
                       yshift: 10, xanchor: "right" }] }), CONFIG);
}

function drawData() {
  const images = document.getElementById("images");
  if (state.images.length) {
    images.hidden = false;
    document.getElementById("data-plot").hidden = true;
    const scrubber = document.getElementById("scrubber");
    const atEnd = Number(scrubber.value) >= Number(scrubber.max);
    scrubber.max = state.images.length - 1;
    if (atEnd) scrubber.value = scrubber.max;
    showImage(Number(scrubber.value));
    return;
  }
  const s = state.points;
  if (!s) return;
  const dim = s.points[0].length;
  if (dim !== 2) {
    // 1-D (and vectors of N(mean, std) entries): histograms of every generated and real value.
    Plotly.react("data-plot", [
      { x: s.real.flat(), type: "histogram", histnorm: "probability density", name: "real",
        opacity: 0.55, marker: { color: COLORS.real } },
      { x: s.points.flat(), type: "histogram", histnorm: "probability density", name: `generated (step ${s.step})`,
        opacity: 0.55, marker: { color: COLORS.fake } },
    ], layout({ barmode: "overlay" }), CONFIG);
    return;
  }
  const traces = [];
  if (s.heatmap) traces.push({ type: "heatmap", x: s.heatmap.x, y: s.heatmap.y, z: s.heatmap.z, zmin: 0, zmax: 1,
    colorscale: "Greys", reversescale: true, opacity: 0.6, colorbar: { title: { text: "D(x)" }, len: 0.8 } });
  traces.push(
    { x: s.real.map((p) => p[0]), y: s.real.map((p) => p[1]), mode: "markers", type: "scatter",
      name: "real", marker: { color: COLORS.real, size: 4, symbol: "circle" } },
    { x: s.points.map((p) => p[0]), y: s.points.map((p) => p[1]), mode: "markers", type: "scatter",
      name: `generated (step ${s.step})`, marker: { color: COLORS.fake, size: 4, symbol: "x" } });
  Plotly.react("data-plot", traces, layout({ height: 380, yaxis: { scaleanchor: "x" } }), CONFIG);
}

function showImage(i) {
  const snap = state.images[i];
  if (!snap) return;
  document.getElementById("fake-img").src = `data:image/png;base64,${snap.fake}`;
  if (snap.real) document.getElementById("real-img").src = `data:image/png;base64,${snap.real}`;
  document.getElementById("scrub-step").textContent = `step ${snap.step}`;
}

function drawQuality() {
  const q = state.quality;
  if (!q.length) return;
  const steps = q.map((e) => e.step);
  const last = q.at(-1);
  let traces, look = layout({ xaxis: { title: { text: "step" } } });
  if (last.modes_total != null) {
    traces = [
      { x: steps, y: q.map((e) => e.modes_covered), name: `modes covered / ${last.modes_total}`, line: { color: COLORS.g } },
      { x: steps, y: q.map((e) => 100 * e.high_quality), name: "high-quality %", yaxis: "y2", line: { color: COLORS.fake } },
    ];
    look = { ...look, yaxis: { range: [0, last.modes_total + 0.5] }, yaxis2: { overlaying: "y", side: "right", range: [0, 100], tickmode: "linear", dtick: 25, showgrid: false },
            margin: { ...LAYOUT.margin, r: 45 } };
  } else if (last.class_coverage) {
    traces = [{ x: [...last.class_coverage.keys()].map(String), y: last.class_coverage, type: "bar",
                name: `share of samples per class (step ${last.step}, score ${fmt(last.score, 2)})`, marker: { color: COLORS.fake } }];
    look = { ...look, xaxis: { title: { text: "class" } } };
  } else {
    traces = [{ x: steps, y: q.map((e) => e.distance), name: "distance to the real data", line: { color: COLORS.fake } }];
  }
  Plotly.react("quality-plot", traces, look, CONFIG);
}

function renderAlerts() {
  const box = document.getElementById("alerts");
  box.replaceChildren(...state.alerts.map((a) => {
    const div = document.createElement("div");
    div.className = `alert ${a.kind}`;
    div.setAttribute("role", "alert");
    div.innerHTML = `<b>${a.kind.replace("_", " ")}</b> at step ${a.step}: ${a.message} <i>${a.hint}</i>`;
    return div;
  }));
}

// ---------- controls ----------
function initControls(run) {
  const c = run.controls ?? {};
  setSlider("lr-g", c.lr_g ?? run.config.lr_g);
  setSlider("lr-d", c.lr_d ?? run.config.lr_d);
  document.getElementById("freeze-g").checked = Boolean(c.freeze_g);
  document.getElementById("freeze-d").checked = Boolean(c.freeze_d);
  document.getElementById("preset").textContent = run.preset ?? run.config.dataset;
  document.getElementById("clone").href = `/?clone=${run.id}#launch`;
}

function setSlider(id, lr) {
  document.getElementById(id).value = Math.log10(lr);
  document.getElementById(`${id}-value`).textContent = Number(lr).toExponential(1);
}

async function control(body) {
  document.getElementById("control-error").textContent = "";
  try {
    const run = await api(`/api/runs/${runId}/controls`, { method: "PATCH", body });
    initControls(run);
  } catch (err) { document.getElementById("control-error").textContent = err.message; }
}

async function command(name) {
  document.getElementById("control-error").textContent = "";
  try { await api(`/api/runs/${runId}/${name}`, { method: "POST" }); }
  catch (err) { document.getElementById("control-error").textContent = err.message; }
}

for (const [id, key] of [["lr-g", "lr_g"], ["lr-d", "lr_d"]]) {
  const slider = document.getElementById(id);
  slider.oninput = () => { document.getElementById(`${id}-value`).textContent = (10 ** slider.value).toExponential(1); };
  slider.onchange = () => control({ [key]: Number((10 ** slider.value).toPrecision(3)) });
}
document.getElementById("freeze-g").onchange = (e) => control({ freeze_g: e.target.checked });
document.getElementById("freeze-d").onchange = (e) => control({ freeze_d: e.target.checked });
document.getElementById("pause").onclick = () => command(state.status === "paused" ? "resume" : "pause");
document.getElementById("stop").onclick = () => command("stop");
document.getElementById("scrubber").oninput = (e) => showImage(Number(e.target.value));

liveSocket(`/ws/runs/${runId}`, onFrame, (s) => { document.getElementById("connection").textContent = s; });
requestAnimationFrame(tick);
