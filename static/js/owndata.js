// Your own data on the launch form: upload a CSV / .npy point set, or draw one with a brush.
// Both end as a set on the server (POST /api/datasets) that the dataset field can name.
import { api } from "./transport.js";

const SPAN = 2; // the drawing canvas spans [-SPAN, SPAN] on both axes
const DAB = 8; // points one brush event adds: overlapping strokes make denser regions
const MAX_POINTS = 20000;

function gaussian() {
  const u = 1 - Math.random(), v = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A brush on a canvas: each stroke event scatters DAB points, N(cursor, radius^2). */
export class Drawing {
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.points = [];
    this.radius = 0.12;
    this.onChange = onChange;
    canvas.addEventListener("pointerdown", (e) => { canvas.setPointerCapture(e.pointerId); this.dab(e); });
    canvas.addEventListener("pointermove", (e) => { if (e.buttons) this.dab(e); });
    this.draw();
  }

  toData(event) {
    const box = this.canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * 2 * SPAN - SPAN;
    const y = SPAN - ((event.clientY - box.top) / box.height) * 2 * SPAN;
    return [x, y];
  }

  dab(event) {
    const [x, y] = this.toData(event);
    for (let i = 0; i < DAB && this.points.length < MAX_POINTS; i++) {
      this.points.push([x + this.radius * gaussian(), y + this.radius * gaussian()]);
    }
    this.draw();
  }

  clear() { this.points = []; this.draw(); }

  draw() {
    const { canvas } = this;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#ddd";
    ctx.beginPath();
    ctx.moveTo(canvas.width / 2, 0); ctx.lineTo(canvas.width / 2, canvas.height);
    ctx.moveTo(0, canvas.height / 2); ctx.lineTo(canvas.width, canvas.height / 2);
    ctx.stroke();
    ctx.fillStyle = "rgba(0, 114, 178, 0.35)";
    for (const [x, y] of this.points) {
      const px = ((x + SPAN) / (2 * SPAN)) * canvas.width, py = ((SPAN - y) / (2 * SPAN)) * canvas.height;
      ctx.fillRect(px - 1.5, py - 1.5, 3, 3);
    }
    canvas.dataset.points = this.points.length;
    this.onChange?.(this.points.length);
  }

  csv() { return `x,y\n${this.points.map(([x, y]) => `${x.toFixed(4)},${y.toFixed(4)}`).join("\n")}\n`; }
}

async function upload(name, file, filename) {
  const body = new FormData();
  body.append("name", name);
  body.append("file", file, filename);
  return api("/api/datasets", { method: "POST", body });
}

/** Wire the own-data controls; onSaved(set) runs after a set is stored, launch(set) to train on it. */
export function initOwnData({ onSaved, launch }) {
  const $ = (id) => document.getElementById(id);
  const say = (text, bad = false) => { $("own-status").textContent = text; $("own-status").classList.toggle("error", bad); };
  const drawing = new Drawing($("draw-canvas"), (n) => { $("draw-count").textContent = `${n} points`; });
  $("draw-radius").oninput = (e) => { drawing.radius = Number(e.target.value); };
  $("draw-clear").onclick = () => drawing.clear();
  $("draw-name").value = `drawn-${Date.now().toString(36)}`;

  async function saveDrawing() {
    if (drawing.points.length < 2) throw new Error("draw some points first: press and drag on the canvas");
    const set = await upload($("draw-name").value.trim(), new Blob([drawing.csv()], { type: "text/csv" }), "drawing.csv");
    $("draw-name").value = `drawn-${Date.now().toString(36)}`;
    await onSaved(set);
    say(`saved ${set.name}: ${set.count} points`);
    return set;
  }
  $("draw-save").onclick = () => saveDrawing().catch((err) => say(err.message, true));
  $("draw-launch").onclick = () => saveDrawing().then(launch).catch((err) => say(err.message, true));

  $("upload-button").onclick = async () => {
    const file = $("upload-file").files[0];
    const name = $("upload-name").value.trim();
    try {
      if (!file) throw new Error("choose a .csv or .npy file first");
      const set = await upload(name || file.name.replace(/\.[^.]*$/, "").toLowerCase(), file, file.name);
      await onSaved(set);
      say(`uploaded ${set.name}: ${set.count} points, ${set.dim}-D`);
    } catch (err) {
      say(err.message, true);
    }
  };
}
