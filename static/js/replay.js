// The timeline: the run's stored samples frames (GET /api/runs/{id}/samples, evenly spread
// over the whole run), fetched when first touched and played here. Its right end, or "Live",
// follows the live stream again.
import { api } from "./transport.js";
import { showError } from "./controls.js";

const $ = (id) => document.getElementById(id);
const MAX_FRAMES = 150;
const PLAY_MS = 100;  // ten frames a second, as the live view

// Frames without a heat map or EMA points show the latest earlier ones.
function carried(frames) {
  let heatmap = null, ema = null;
  return frames.map((frame) => {
    heatmap = frame.heatmap ?? heatmap;
    ema = frame.ema_points ?? ema;
    return { frame, heatmap, ema };
  });
}

/** Wire the timeline of run runId; onShow gets {frame, heatmap, ema} to show, or null for live. */
export function wireReplay(runId, onShow) {
  const slider = $("replay"), label = $("replay-step"), play = $("replay-play");
  let views = [], fetched = 0, timer = null;

  function stopPlaying() {
    clearInterval(timer);
    timer = null;
    play.textContent = "Play";
  }

  function show() {
    const view = views[Number(slider.value)];
    label.textContent = view ? `step ${view.frame.step}` : "live";
    onShow(view ?? null);
  }

  function goLive() {
    stopPlaying();
    slider.value = slider.max;
    show();
  }

  // Fetch again (at most every 2 s while the run trains), keeping the step on show.
  async function refresh() {
    if (Date.now() - fetched < 2000) return;
    fetched = Date.now();
    const step = views[Number(slider.value)]?.frame.step;
    try {
      views = carried((await api(`/api/runs/${runId}/samples?max_frames=${MAX_FRAMES}`)).frames);
    } catch (err) { showError(err); return; }
    slider.max = views.length;
    const at = step == null ? -1 : views.findIndex((v) => v.frame.step >= step);
    slider.value = at < 0 ? views.length : at;
  }

  async function togglePlay() {
    if (timer) { stopPlaying(); return; }
    await refresh();
    if (!views.length) return;
    if (Number(slider.value) >= views.length - 1) slider.value = 0;
    play.textContent = "Pause";
    show();
    timer = setInterval(() => {
      if (Number(slider.value) >= views.length - 1) { stopPlaying(); return; }
      slider.value = Number(slider.value) + 1;
      show();
    }, PLAY_MS);
  }

  for (const event of ["pointerdown", "focus", "keydown"]) slider.addEventListener(event, refresh);
  slider.addEventListener("input", () => { stopPlaying(); show(); });
  play.addEventListener("click", togglePlay);
  $("replay-live").addEventListener("click", goLive);
  return { refresh };
}
