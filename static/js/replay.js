// Replay: a slider over the run's stored samples frames (GET /api/runs/{id}/replay); at its
// end, or after "live", the view follows the live stream again.
import { api } from "./api.js";
import { showError } from "./controls.js";

const $ = (id) => document.getElementById(id);

/** Wire the replay slider of run runId; onShow gets the replayed samples frame, or null for live. */
export function wireReplay(runId, onShow) {
  const slider = $("replay"), label = $("replay-step");
  let steps = [], fetched = 0, wanted = 0;

  function goLive() {
    wanted += 1;
    slider.value = slider.max;
    label.textContent = "live";
    onShow(null);
  }

  async function refresh() {
    fetched = Date.now();
    try {
      const atEnd = Number(slider.value) >= Number(slider.max);
      ({ steps } = await api(`/api/runs/${runId}/replay`));
      slider.max = steps.length;
      if (atEnd) slider.value = slider.max;
    } catch (err) { showError(err); }
  }

  async function show() {
    const i = Number(slider.value);
    if (i >= steps.length) { goLive(); return; }
    const mine = ++wanted;
    label.textContent = `step ${steps[i]}`;
    try {
      const frame = await api(`/api/runs/${runId}/replay/${steps[i]}`);
      if (mine === wanted) onShow(frame);
    } catch (err) { showError(err); }
  }

  // The stored steps grow while the run trains: fetch them again when the slider is touched.
  for (const event of ["pointerdown", "focus", "keydown"])
    slider.addEventListener(event, () => { if (Date.now() - fetched > 2000) refresh(); });
  slider.addEventListener("input", show);
  $("replay-live").addEventListener("click", goLive);
  return { refresh };
}
