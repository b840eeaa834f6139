// The noise view: latent space as G sees it, the fixed noise batch z and the regular grid
// that the data view shows bent by G (its manifold).
import { fitCanvas, scaler } from "./canvas.js";

/** Draw reference.latent ({dims, shape, range, noise}) into canvas; 1-D latents on a line. */
export function drawNoise(canvas, latent) {
  const { ctx, w, h } = fitCanvas(canvas);
  const [lo, hi] = latent.range;
  const s = scaler({ x0: lo, x1: hi, y0: lo, y1: hi }, w, h);
  const [rows, cols] = latent.shape;
  const flat = latent.dims.length === 1;
  const at = (v, n) => (n > 1 ? lo + ((hi - lo) * v) / (n - 1) : (lo + hi) / 2);
  ctx.fillStyle = "#fafafa";
  ctx.fillRect(s.x(lo), s.y(hi), s.k * (hi - lo), s.k * (hi - lo));
  ctx.beginPath();
  for (let c = 0; c < cols; c++) {
    ctx.moveTo(s.x(at(c, cols)), flat ? s.y(0) - 6 : s.y(lo));
    ctx.lineTo(s.x(at(c, cols)), flat ? s.y(0) + 6 : s.y(hi));
  }
  if (flat) {
    ctx.moveTo(s.x(lo), s.y(0)); ctx.lineTo(s.x(hi), s.y(0));
  } else {
    for (let r = 0; r < rows; r++) { ctx.moveTo(s.x(lo), s.y(at(r, rows))); ctx.lineTo(s.x(hi), s.y(at(r, rows))); }
  }
  ctx.strokeStyle = "rgba(122, 82, 0, 0.45)";
  ctx.lineWidth = 0.8;
  ctx.stroke();
  ctx.beginPath();
  for (const z of latent.noise) {
    const x = s.x(z[0]), y = s.y(flat ? 0 : z[1]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    ctx.moveTo(x + 2, y);
    ctx.arc(x, y, 2, 0, 2 * Math.PI);
  }
  ctx.fillStyle = "#E69F00";
  ctx.fill();
  canvas.dataset.points = latent.noise.length;
}
