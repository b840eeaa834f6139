// Stepping a paused run by hand: D steps, G steps, or k D steps and one G step, N times
// (POST /api/runs/{id}/step).
import { api } from "./transport.js";
import { showError } from "./controls.js";

const BUTTONS = { "step-d": "d", "step-g": "g", "step-both": "both" };

/** Wire the step buttons of run runId; onRun gets the run each step answers with. */
export function wireStepper(runId, onRun) {
  for (const [id, network] of Object.entries(BUTTONS)) {
    document.getElementById(id).onclick = async () => {
      showError(null);
      const input = document.getElementById("step-count");
      const count = Math.min(1000, Math.max(1, Math.round(Number(input.value) || 1)));
      input.value = count;
      try { onRun(await api(`/api/runs/${runId}/step`, { method: "POST", body: { network, count } })); }
      catch (err) { showError(err); }
    };
  }
}

/** Steps are only for a paused run. */
export function enableStepper(paused) {
  for (const id of [...Object.keys(BUTTONS), "step-count"]) document.getElementById(id).disabled = !paused;
  document.getElementById("step-hint").hidden = paused;
}
