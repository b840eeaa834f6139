// The 2-D data view: real and generated points, D's decision map, G's gradients and
// manifold, drawn on a canvas. A new frame glides from the previous positions to its own
// in about 90 ms; a frame arriving meanwhile replaces the target (nothing queues).
import { boundsOf, ease, fitCanvas, flatten, lerpInto, MAP_GRADIENT, mapColor, scaler } from "./canvas.js";

const DURATION = 90;  // ms from one frame's positions to the next
const MOVING = ["points", "gradients", "manifold"];  // what interpolates between frames
const INK = { real: "#0072B2", fake: "#E69F00", fakeEdge: "#7a5200", ema: "#009E73", arrow: "#b3261e",
              grid: "rgba(122, 82, 0, 0.55)", cell: "160, 100, 0" };

/** The view's layers, in drawing order, each with the sentence its checkbox shows. */
export const LAYERS = [
  { key: "map", label: "D's decision map",
    help: "the background is D's verdict at every place: blue where it says \"real\", orange where it says \"generated\", white where it cannot tell." },
  { key: "manifold", label: "G's manifold",
    help: "a regular grid of noise values bent by G; the darker a cell, the more tightly G packs its samples there." },
  { key: "real", label: "Real samples", help: "points from the data set G must learn to imitate." },
  { key: "ema", label: "EMA generator", help: "samples of the averaged generator, the one the quality score measures." },
  { key: "fake", label: "Generated samples", help: "G(z) for a fixed batch of noise z (the small square shows z)." },
  { key: "gradients", label: "G's gradients",
    help: "where G's loss pushes each generated point; lengths are relative to the longest arrow." },
];

export class DataView {
  /** Draw into canvas; legend (optional) gets the decision map's label and colour scale. */
  constructor(canvas, legend) {
    this.canvas = canvas;
    this.legend = legend;
    this.on = Object.fromEntries(LAYERS.map((l) => [l.key, true]));
    this.reference = null;
    this.shown = {};
    this.from = {}; this.to = {}; this.now = {};
    this.start = 0;
    this.scheduled = false;
    this.draws = 0;
    new ResizeObserver(() => this.request()).observe(canvas);
  }

  /** Take a reference frame: the real points, the map's axes (or bounds around the real points). */
  setReference(reference) {
    this.reference = reference;
    const map = reference.map;
    this.bounds = map?.y ? { x0: map.x[0], x1: map.x.at(-1), y0: map.y[0], y1: map.y.at(-1) } : boundsOf(reference.real);
    this.real = flatten(reference.real);
    this.mapImage = this.shown.heatmap ? this.paintMap(this.shown.heatmap.z) : null;
    this.request();
  }

  /** Show {frame, heatmap, ema}: the points glide to frame's, the map and EMA points switch at once. */
  show({ frame, heatmap, ema }) {
    if (heatmap !== this.shown.heatmap) this.mapImage = heatmap ? this.paintMap(heatmap.z) : null;
    this.shown = { frame, heatmap, ema: flatten(ema) };
    for (const key of MOVING) {
      const target = flatten(key === "manifold" ? frame.manifold?.points : frame[key]);
      const current = this.now[key];
      this.from[key] = current && target && current.length === target.length ? current.slice() : target;
      this.to[key] = target;
      this.now[key] = target && this.from[key].slice();
    }
    this.start = performance.now();
    this.request();
  }

  /** Turn a layer on or off. */
  setLayer(key, on) {
    this.on[key] = on;
    this.request();
  }

  request() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame((t) => this.tick(t));
  }

  tick(t) {
    this.scheduled = false;
    const p = Math.min(1, Math.max(0, (t - this.start) / DURATION));
    for (const key of MOVING) if (this.now[key]) lerpInto(this.now[key], this.from[key], this.to[key], ease(p));
    this.draw();
    if (p < 1) this.request();
  }

  // The map's values as a small image (one pixel per cell, row 0 at the bottom), and its range.
  paintMap(z) {
    const probability = this.reference?.map?.probability !== false;
    const values = z.flat().filter(Number.isFinite);
    const lo = probability ? 0 : Math.min(...values), hi = probability ? 1 : Math.max(...values);
    const rows = z.length, cols = z[0].length;
    const image = new OffscreenCanvas(cols, rows);
    const ctx = image.getContext("2d");
    const pixels = ctx.createImageData(cols, rows);
    z.forEach((row, i) => row.forEach((v, j) => {
      const at = 4 * ((rows - 1 - i) * cols + j);
      pixels.data.set([...mapColor((v - lo) / (hi - lo || 1)), 255], at);
    }));
    ctx.putImageData(pixels, 0, 0);
    this.renderLegend(lo, hi);
    return image;
  }

  renderLegend(lo, hi) {
    if (!this.legend) return;
    const digits = Math.abs(hi - lo) < 10 ? 2 : 0;
    const bar = Object.assign(document.createElement("span"), { className: "bar" });
    bar.style.background = MAP_GRADIENT;
    this.legend.replaceChildren(
      Object.assign(document.createElement("span"), { className: "label", textContent: this.reference?.map?.label ?? "D(x)" }),
      Object.assign(document.createElement("span"), { textContent: lo.toFixed(digits) }), bar,
      Object.assign(document.createElement("span"), { textContent: hi.toFixed(digits) }));
  }

  draw() {
    if (!this.reference) return;
    const { ctx, w, h } = fitCanvas(this.canvas);
    const s = scaler(this.bounds, w, h);
    const drawn = [];
    ctx.save();
    ctx.beginPath();
    ctx.rect(s.x(this.bounds.x0), s.y(this.bounds.y1), s.k * (this.bounds.x1 - this.bounds.x0), s.k * (this.bounds.y1 - this.bounds.y0));
    ctx.clip();
    ctx.fillStyle = "#fafafa";
    ctx.fill();
    const layers = {
      map: () => this.mapImage && this.drawMap(ctx, s),
      manifold: () => this.now.manifold && this.drawManifold(ctx, s),
      real: () => this.real && dots(ctx, s, this.real, 2.2, INK.real),
      ema: () => this.shown.ema && dots(ctx, s, this.shown.ema, 2.2, null, INK.ema),
      fake: () => this.now.points && dots(ctx, s, this.now.points, 2.6, INK.fake, INK.fakeEdge),
      gradients: () => this.now.gradients && this.now.points && this.drawArrows(ctx, s),
    };
    for (const { key } of LAYERS) if (this.on[key] && layers[key]()) drawn.push(key);
    ctx.restore();
    this.draws += 1;
    Object.assign(this.canvas.dataset, { layers: drawn.join(" "), draws: this.draws, step: this.shown.frame?.step ?? "" });
    return drawn;
  }

  drawMap(ctx, s) {
    const { x, y } = this.reference.map;
    const dx = (x.at(-1) - x[0]) / Math.max(1, x.length - 1), dy = (y.at(-1) - y[0]) / Math.max(1, y.length - 1);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.mapImage, s.x(x[0] - dx / 2), s.y(y.at(-1) + dy / 2), s.k * (x.at(-1) - x[0] + dx), s.k * (y.at(-1) - y[0] + dy));
    return true;
  }

  // The warped latent grid: its lines, and each cell shaded inversely to its area (density).
  drawManifold(ctx, s) {
    const [rows, cols] = this.shown.frame.manifold.shape;
    const m = this.now.manifold;
    const px = (r, c) => [s.x(m[2 * (r * cols + c)]), s.y(m[2 * (r * cols + c) + 1])];
    const cells = [];
    for (let r = 0; r + 1 < rows; r++) for (let c = 0; c + 1 < cols; c++) {
      const quad = [px(r, c), px(r, c + 1), px(r + 1, c + 1), px(r + 1, c)];
      cells.push({ quad, area: Math.abs(quad.reduce((a, [x0, y0], i) => {
        const [x1, y1] = quad[(i + 1) % 4];
        return a + x0 * y1 - x1 * y0;
      }, 0)) / 2 });
    }
    const typical = median(cells.map((c) => c.area).filter(Number.isFinite)) || 1;
    for (const { quad, area } of cells) {
      if (!Number.isFinite(area)) continue;
      ctx.fillStyle = `rgba(${INK.cell}, ${Math.min(0.6, Math.max(0.03, 0.15 * typical / Math.max(area, 1e-6)))})`;
      ctx.beginPath();
      quad.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.fill();
    }
    ctx.beginPath();
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) ctx[c ? "lineTo" : "moveTo"](...px(r, c));
    for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) ctx[r ? "lineTo" : "moveTo"](...px(r, c));
    ctx.strokeStyle = INK.grid;
    ctx.lineWidth = 0.8;
    ctx.stroke();
    return true;
  }

  // One arrow per generated point, the longest a tenth of the view's width.
  drawArrows(ctx, s) {
    const p = this.now.points, g = this.now.gradients;
    let longest = 0;
    for (let i = 0; i < g.length; i += 2) longest = Math.max(longest, Math.hypot(g[i], g[i + 1]) || 0);
    if (!longest) return false;
    const scale = (0.1 * (this.bounds.x1 - this.bounds.x0) * s.k) / longest;
    ctx.beginPath();
    for (let i = 0; i < g.length; i += 2) {
      const x = s.x(p[i]), y = s.y(p[i + 1]), ux = g[i] * scale, uy = -g[i + 1] * scale;
      const len = Math.hypot(ux, uy);
      if (!(len > 0.5)) continue;
      const tx = x + ux, ty = y + uy, head = Math.min(4, len / 2), a = Math.atan2(uy, ux);
      ctx.moveTo(x, y); ctx.lineTo(tx, ty);
      for (const side of [-0.45, 0.45]) {
        ctx.moveTo(tx, ty);
        ctx.lineTo(tx - head * Math.cos(a + side), ty - head * Math.sin(a + side));
      }
    }
    ctx.strokeStyle = INK.arrow;
    ctx.lineWidth = 1;
    ctx.stroke();
    return true;
  }
}

/** Checkboxes for the layers into container, each with its explanation; they switch view's layers. */
export function layerToggles(container, view) {
  container.replaceChildren(...LAYERS.map(({ key, label, help }) => {
    const box = Object.assign(document.createElement("input"), { type: "checkbox", checked: view.on[key] });
    box.dataset.layer = key;
    box.addEventListener("change", () => view.setLayer(key, box.checked));
    const row = document.createElement("label");
    row.className = `layer ${key}`;
    row.append(box, " ", Object.assign(document.createElement("b"), { textContent: label }), " ",
      Object.assign(document.createElement("small"), { textContent: help }));
    return row;
  }));
}

// Filled (and optionally outlined) dots at flat [x, y, ...] coordinates.
function dots(ctx, s, flat, r, fill, stroke) {
  ctx.beginPath();
  for (let i = 0; i < flat.length; i += 2) {
    const x = s.x(flat[i]), y = s.y(flat[i + 1]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    ctx.moveTo(x + r, y);
    ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
  if (fill) { ctx.fillStyle = fill; ctx.fill(); }
  if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = 0.8; ctx.stroke(); }
  return true;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
