// Canvas helpers shared by the data and noise views: sizing, axes, colours, interpolation.
// No imports: the views load without the rest of the page (and without Plotly).

/** Size the canvas's backing store to its CSS box and the screen's pixel ratio; returns {ctx, w, h} in CSS pixels. */
export function fitCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 300, h = canvas.clientHeight || w;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

/** An equal-aspect map from data bounds {x0, x1, y0, y1} into a w x h box (y up), inset by pad pixels. */
export function scaler(bounds, w, h, pad = 6) {
  const k = Math.min((w - 2 * pad) / (bounds.x1 - bounds.x0), (h - 2 * pad) / (bounds.y1 - bounds.y0));
  const cx = w / 2 - k * (bounds.x0 + bounds.x1) / 2;
  const cy = h / 2 + k * (bounds.y0 + bounds.y1) / 2;
  return { k, x: (v) => cx + k * v, y: (v) => cy - k * v };
}

/** Bounds of a list of [x, y] points, widened by margin (a share of the larger span). */
export function boundsOf(points, margin = 0.15) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const [x, y] of points) {
    if (x == null || y == null) continue;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  if (!Number.isFinite(x0)) return { x0: -1, x1: 1, y0: -1, y1: 1 };
  const m = margin * Math.max(x1 - x0, y1 - y0, 1e-3);
  return { x0: x0 - m, x1: x1 + m, y0: y0 - m, y1: y1 + m };
}

// The decision map's colours: low values take the generated points' hue, high ones the
// real points' hue, the middle (D cannot tell) is white. Tints, so the points stay visible.
const LOW = [240, 178, 64], MID = [255, 255, 255], HIGH = [86, 160, 214];

/** RGB of a value t in [0, 1] on the decision map's scale. */
export function mapColor(t) {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0.5));
  const [a, b, s] = u < 0.5 ? [LOW, MID, u * 2] : [MID, HIGH, u * 2 - 1];
  return a.map((c, i) => Math.round(c + (b[i] - c) * s));
}

/** The CSS gradient of mapColor, for legends. */
export const MAP_GRADIENT = `linear-gradient(to right, rgb(${LOW}), rgb(${MID}), rgb(${HIGH}))`;

/** [[x, y], ...] (or [[x], ...]) as a flat Float32Array; nulls (a diverged run) become NaN. */
export function flatten(points) {
  if (!points) return null;
  const d = points[0]?.length ?? 0;
  const out = new Float32Array(points.length * d);
  points.forEach((p, i) => { for (let j = 0; j < d; j++) out[i * d + j] = p[j] ?? NaN; });
  return out;
}

/** out = from + (to - from) * t, elementwise. */
export function lerpInto(out, from, to, t) {
  for (let i = 0; i < out.length; i++) out[i] = from[i] + (to[i] - from[i]) * t;
  return out;
}

/** Smooth start and stop for an animation's progress t in [0, 1]. */
export const ease = (t) => t * t * (3 - 2 * t);
