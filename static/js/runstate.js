// The run page's state, and the pure reducer of websocket frames into it: no DOM here.
import { MAX_POINTS } from "./plotstyle.js";

const KEYS = ["steps", "loss_d", "loss_g", "d_real", "d_fake"];

/** A page's state before its snapshot. live: the latest samples frame with the latest heat
 * map and EMA points (only some frames carry them); replay: what the timeline shows, if any. */
export function newState() {
  return { run: null, status: null, reason: null, step: 0, rate: null, rates: null,
           metrics: null, stride: 1, pending: 0, quality: [], alerts: [], reference: null,
           live: {}, replay: null };
}

function emptyMetrics() { return Object.fromEntries(KEYS.map((k) => [k, []])); }

// Keep at most MAX_POINTS per trace: when full, drop every other point and double the stride,
// so a long run stays smooth and the curve keeps its shape.
function addMetrics(state, cols) {
  for (let i = 0; i < cols.steps.length; i++) {
    state.pending += 1;
    if (state.pending < state.stride) continue;
    state.pending = 0;
    for (const k of KEYS) state.metrics[k].push(cols[k][i]);
  }
  if (state.metrics.steps.length > MAX_POINTS) {
    for (const k of KEYS) state.metrics[k] = state.metrics[k].filter((_, j) => j % 2 === 0);
    state.stride *= 2;
  }
}

// A v1 run (recorded before reference frames) carries its real points and map axes in each frame.
function legacyReference(frame) {
  const h = frame.heatmap;
  return { kind: "points", dim: frame.points[0]?.length, real: frame.real, latent: null,
           map: h?.x ? { x: h.x, y: h.y, label: "D(x): probability that x is real", probability: true } : null };
}

function addSamples(state, frame, changed) {
  if (!state.reference && frame.real) {
    state.reference = legacyReference(frame);
    changed.add("reference");
  }
  const live = state.live;
  state.live = { frame, heatmap: frame.heatmap ?? live.heatmap, ema: frame.ema_points ?? live.ema };
  changed.add("samples");
}

/** The run row as the server sent it (a snapshot, a command's or a control's answer). Its
 * status is the snapshot's; after that, status frames say it (an answer may be older). */
export function setRun(state, run) {
  state.run = run;
  state.step = Math.max(state.step, run.step ?? 0);
}

/** Apply one frame to state; returns the set of what changed: "snapshot", "run",
 * "reference", "samples", "alerts", "rates", or "charts" for the rest. */
export function reduce(state, frame) {
  const changed = new Set(["charts"]);
  switch (frame.type) {
    case "snapshot":
      Object.assign(state, newState());
      setRun(state, frame.run);
      state.status = frame.run.status;
      state.reason = frame.run.reason;  // a late joiner sees why the run ended
      state.metrics = emptyMetrics();
      addMetrics(state, frame.history.metrics);
      state.quality = frame.history.quality;
      state.alerts = frame.history.alerts;
      if (frame.history.reference) state.reference = frame.history.reference;
      frame.history.samples.forEach((s) => addSamples(state, s, changed));
      for (const what of ["snapshot", "run", "reference", "alerts"]) changed.add(what);
      break;
    case "metrics":
      addMetrics(state, frame);
      state.rate = frame.steps_per_second;
      state.step = Math.max(state.step, frame.step);
      state.rates = { lr_g: frame.lr_g, lr_d: frame.lr_d };
      changed.add("rates");
      break;
    case "reference": state.reference = frame; changed.add("reference"); break;
    case "samples": addSamples(state, frame, changed); break;
    case "quality": state.quality.push(frame); break;
    case "alert": state.alerts.push(frame); changed.add("alerts"); break;
    case "status":
      state.status = frame.status;
      state.reason = frame.reason ?? null;
      state.step = Math.max(state.step, frame.step ?? 0);
      break;
    default: return new Set();
  }
  return changed;
}

/** What the data panel shows: images, the 2-D canvas ("plane"), the 1-D view ("line"),
 * histograms, or nothing yet. */
export function dataMode(state) {
  const ref = state.reference;
  if (ref?.kind === "images" || state.live.frame?.kind === "images") return "images";
  const dim = ref?.dim ?? state.live.frame?.points?.[0]?.length;
  if (dim === 2) return "plane";
  if (dim === 1 && ref?.map) return "line";
  return dim ? "histogram" : null;
}
