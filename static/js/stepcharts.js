// The run page's charts over steps that come first: losses and D's outputs, drawn with uPlot
// (51 kB, vendored; it starts at once, where Plotly takes about a second on a slow machine).
// Each chart is a uPlot instance, kept on its element as `el.uplot` (data: [steps, ...series]).
import { COLORS } from "./plotstyle.js";

const HEIGHT = 260;  // the plot area; uPlot's legend goes below it
const FIRST = "ganwatch:first-chart";  // a performance mark: the first curve drawn (bench/page_speed)

// A vertical line at step x across the plot, with an optional label at its top; whether it
// fell within the plot.
function vline(u, x, { color, dash = [], label }) {
  if (x == null || x < u.scales.x.min || x > u.scales.x.max) return false;
  const ctx = u.ctx, px = Math.round(u.valToPos(x, "x", true)), { top, height } = u.bbox;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = devicePixelRatio;
  ctx.setLineDash(dash.map((d) => d * devicePixelRatio));
  ctx.beginPath();
  ctx.moveTo(px, top);
  ctx.lineTo(px, top + height);
  ctx.stroke();
  if (label) {
    ctx.fillStyle = color;
    ctx.font = `${11 * devicePixelRatio}px sans-serif`;
    ctx.fillText(label, px + 3 * devicePixelRatio, top + 12 * devicePixelRatio);
  }
  ctx.restore();
  return true;
}

// A horizontal line at value level with a note at its right end (D's equilibrium).
function hline(u, level, note) {
  const ctx = u.ctx, py = Math.round(u.valToPos(level, "y", true)), { left, width } = u.bbox;
  ctx.save();
  ctx.strokeStyle = "#555";
  ctx.lineWidth = devicePixelRatio;
  ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
  ctx.beginPath();
  ctx.moveTo(left, py);
  ctx.lineTo(left + width, py);
  ctx.stroke();
  ctx.font = `${12 * devicePixelRatio}px sans-serif`;
  const x = left + width - 4 * devicePixelRatio, y = py - 5 * devicePixelRatio;
  const w = ctx.measureText(note).width, h = 14 * devicePixelRatio;
  ctx.fillStyle = "rgba(255, 255, 255, 0.85)";  // readable over the curves
  ctx.fillRect(x - w - 2 * devicePixelRatio, y - h + 3 * devicePixelRatio, w + 4 * devicePixelRatio, h);
  ctx.fillStyle = "#333";
  ctx.textAlign = "right";
  ctx.fillText(note, x, y);
  ctx.restore();
}

// A step chart in el: series [{label, color}], y range fixed when given; marks() returns
// what the draw hook adds ({alerts: [{step, kind}], cursor: step | null}). The steps it drew
// them at are left in el.dataset.alerts ("1000,1250") and el.dataset.cursor ("" for none).
function stepChart(el, series, marks, { range, equilibrium } = {}) {
  const opts = {
    width: Math.max(el.clientWidth, 300),
    height: HEIGHT,
    // Steps from 0, where a run starts (and the timeline's first frame is).
    scales: { x: { time: false, range: (u, min, max) => [0, Math.max(max ?? 1, 1)] },
              y: range ? { auto: false, range } : {} },
    axes: [{ label: "step", labelSize: 20 }, { size: 55 }],
    series: [{ label: "step" }, ...series.map(({ label, color }) => ({
      label, stroke: color, width: 1.5, points: { show: false },
    }))],
    hooks: {
      draw: [(u) => {
        const { alerts, cursor } = marks();
        if (equilibrium) hline(u, 0.5, equilibrium);
        el.dataset.alerts = alerts.filter((a) => vline(u, a.step, {
          color: COLORS.d, dash: [3, 3], label: a.kind.replace("_", " "),
        })).map((a) => a.step).join(",");
        el.dataset.cursor = vline(u, cursor, { color: "#222" }) ? cursor : "";
        if (u.data[0].length && !performance.getEntriesByName(FIRST).length) {
          performance.mark(FIRST, { detail: { plotly: Boolean(window.Plotly) } });
        }
      }],
    },
  };
  const u = new uPlot(opts, [[], ...series.map(() => [])], el);
  new ResizeObserver(() => u.setSize({ width: Math.max(el.clientWidth, 300), height: HEIGHT })).observe(el);
  el.uplot = u;
  return u;
}

/** The losses and D(x) / D(G(z)) charts; draw(m, alerts, cursor) redraws both from the
 * metrics columns m, with the alerts and the timeline's step (null while live) marked. */
export function stepCharts(lossEl, probEl) {
  let current = { alerts: [], cursor: null };
  const marks = () => current;
  const loss = stepChart(lossEl, [
    { label: "loss D", color: COLORS.d }, { label: "loss G", color: COLORS.g },
  ], marks);
  const prob = stepChart(probEl, [
    { label: "D(x), real", color: COLORS.real }, { label: "D(G(z)), generated", color: COLORS.fake },
  ], marks, { range: [0, 1], equilibrium: "D can no longer tell: 0.5" });
  return {
    draw(m, alerts, cursor) {
      current = { alerts, cursor: cursor ?? null };
      loss.setData([m.steps, m.loss_d, m.loss_g]);
      prob.setData([m.steps, m.d_real, m.d_fake]);
    },
  };
}
