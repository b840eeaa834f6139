// Compare: several runs' curves overlaid, from the REST history (downsampled server-side).
import { runLabel } from "./format.js";
import { api } from "./transport.js";
import { COLORS, CONFIG, LAYOUT } from "./plotstyle.js";

const ids = document.querySelector("[data-ids]").dataset.ids.split(",").filter(Boolean);

async function load() {
  const runs = await Promise.all(ids.map(async (id) => ({
    run: await api(`/api/runs/${id}`),
    metrics: await api(`/api/runs/${id}/metrics?max_points=2000`),
  })));
  const colour = (i) => COLORS.other[i % COLORS.other.length];
  const label = ({ run }) => `${run.id} (${runLabel(run)})`;
  const overlay = (target, key) => Plotly.react(target, runs.map((r, i) => ({
    x: r.metrics.steps, y: r.metrics[key], name: label(r), line: { color: colour(i), width: 1.5 },
  })), { ...LAYOUT, xaxis: { title: { text: "step" } } }, CONFIG);
  overlay("cmp-loss-d", "loss_d");
  overlay("cmp-loss-g", "loss_g");
  overlay("cmp-d-fake", "d_fake");
  Plotly.react("cmp-quality", runs.map((r, i) => {
    const q = r.run.latest_quality ?? {};
    const value = q.modes_total != null ? 100 * q.high_quality : q.score ?? q.distance;
    return { x: [label(r)], y: [value], type: "bar", name: label(r), marker: { color: colour(i) } };
  }), { ...LAYOUT, yaxis: { title: { text: "final quality (HQ %, score or distance)" } } }, CONFIG);
}

if (ids.length < 2) document.getElementById("compare-error").textContent = "Pick two or more runs on the runs page.";
load().catch((err) => { document.getElementById("compare-error").textContent = err.message; });
