// The 1-D data view (Plotly): histograms of generated and real values over the target
// density with D's curve on top, and below it G's map z -> G(z) with each generated point
// and the arrow its loss pushes it along. Vectors of many entries get the histograms only.
import { COLORS, CONFIG, LAYOUT } from "./plotstyle.js";

const BINS = 40;

function linspace(lo, hi, n) {
  return Array.from({ length: n }, (_, i) => (n > 1 ? lo + ((hi - lo) * i) / (n - 1) : (lo + hi) / 2));
}

function extent(values) {
  const finite = values.filter(Number.isFinite);
  const lo = Math.min(...finite), hi = Math.max(...finite), m = 0.15 * Math.max(hi - lo, 1e-3);
  return finite.length ? [lo - m, hi + m] : [-1, 1];
}

/** Draw into el (a Plotly div) the reference and the shown {frame, heatmap}; config: the run's. */
export function drawLine(el, reference, shown, config) {
  const { frame, heatmap } = shown;
  const real = reference?.real?.flat() ?? frame.real?.flat() ?? [];
  const fake = frame.points.flat();
  const map = reference?.map;
  const [lo, hi] = map ? [map.x[0], map.x.at(-1)] : extent(real.length ? real : fake);
  const xbins = { start: lo, end: hi, size: (hi - lo) / BINS };
  const traces = [
    { x: real, type: "histogram", histnorm: "probability density", xbins, name: "real", opacity: 0.35,
      marker: { color: COLORS.real } },
    { x: fake, type: "histogram", histnorm: "probability density", xbins, name: `generated (step ${frame.step})`,
      opacity: 0.55, marker: { color: COLORS.fake } },
  ];
  let layout = { ...LAYOUT, barmode: "overlay", xaxis: { range: [lo, hi] } };
  if (map) {
    if (config.dataset === "gaussian-1d") { // a set people brought has only its histogram
      const xs = linspace(lo, hi, 200), mean = config.data_mean, std = config.data_std;
      traces.push({ x: xs, y: xs.map((x) => Math.exp(-0.5 * ((x - mean) / std) ** 2) / (std * Math.sqrt(2 * Math.PI))),
                    name: `target N(${mean}, ${std})`, line: { color: COLORS.real, width: 2 } });
    }
    if (heatmap) traces.push({ x: map.x, y: heatmap.z, yaxis: "y2", name: map.label, line: { color: COLORS.d, width: 2 } });
    traces.push(...mapTraces(reference.latent, frame, hi - lo));
    layout = { ...layout, height: 440, xaxis: { range: [lo, hi], anchor: "y3", title: { text: "x" } },
      yaxis: { domain: [0.42, 1], title: { text: "density" } },
      yaxis2: { overlaying: "y", side: "right", showgrid: false,
                ...(map.probability ? { range: [0, 1], tickvals: [0, 0.5, 1] } : {}) },
      yaxis3: { domain: [0, 0.32], title: { text: "z" } }, margin: { ...LAYOUT.margin, r: 45 } };
  }
  Plotly.react(el, traces, layout, CONFIG);
}

// G's map over the latent grid, the noise batch's points on it, and their gradient arrows
// (the longest a tenth of the axis: lengths are relative).
function mapTraces(latent, frame, span) {
  if (!latent || !frame.manifold) return [];
  const grid = linspace(latent.range[0], latent.range[1], frame.manifold.shape[1]);
  const z = latent.noise.map((n) => n[0]);
  const x = frame.points.map((p) => p[0]);
  const traces = [
    { x: frame.manifold.points.map((p) => p[0]), y: grid, yaxis: "y3", name: "G: z → G(z)", line: { color: COLORS.g, width: 2 } },
    { x, y: z, yaxis: "y3", mode: "markers", name: "G(z) of the noise batch", marker: { color: COLORS.fake, size: 4 } },
  ];
  const g = (frame.gradients ?? []).map((d) => d[0]);
  const longest = Math.max(0, ...g.map(Math.abs).filter(Number.isFinite));
  if (!longest) return traces;
  const scale = (0.1 * span) / longest;
  const ax = [], ay = [];
  g.forEach((d, i) => { ax.push(x[i], x[i] + d * scale, null); ay.push(z[i], z[i], null); });
  traces.push({ x: ax, y: ay, yaxis: "y3", mode: "lines", name: "G's gradients (relative length)",
                legendgroup: "arrows", line: { color: COLORS.d, width: 1 }, hoverinfo: "skip" },
              { x: g.map((d, i) => x[i] + d * scale), y: z, yaxis: "y3", mode: "markers", legendgroup: "arrows",
                showlegend: false, hoverinfo: "skip",
                marker: { color: COLORS.d, size: 6, symbol: g.map((d) => (d < 0 ? "triangle-left" : "triangle-right")) } });
  return traces;
}
