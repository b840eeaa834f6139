// Live controls of a run (PATCH /api/runs/{id}/controls): learning rates, freezing, k,
// loss, optimizers, slow motion and the manifold's latent dimensions.
import { api } from "./transport.js";

const $ = (id) => document.getElementById(id);
const INPUTS = ["lr-g", "lr-d", "freeze-g", "freeze-d", "d-steps", "loss", "optimizer-g", "optimizer-d", "pace",
                "manifold-dim-0", "manifold-dim-1"];

/** Show an error message of a control or command under the controls (none: clear it). */
export function showError(err) {
  $("control-error").textContent = err ? err.message : "";
}

/** Send a change of the controls; onRun gets the updated run. */
async function change(runId, body, onRun) {
  showError(null);
  $("control-note").textContent = "";
  try { onRun(await api(`/api/runs/${runId}/controls`, { method: "PATCH", body })); }
  catch (err) { showError(err); }
}

function setSlider(id, lr) {
  $(id).value = Math.log10(lr);
  $(`${id}-value`).textContent = Number(lr).toExponential(1);
}

function paceText(pace) { return Number(pace) ? `${pace} steps/s` : "full speed"; }

/** Fill the controls from run.controls, falling back to run.config; latent says which manifold dims apply. */
export function initControls(run, latent) {
  const c = run.controls ?? {}, cfg = run.config;
  setSlider("lr-g", c.lr_g ?? cfg.lr_g);
  setSlider("lr-d", c.lr_d ?? cfg.lr_d);
  $("freeze-g").checked = Boolean(c.freeze_g);
  $("freeze-d").checked = Boolean(c.freeze_d);
  $("d-steps").value = c.d_steps ?? cfg.d_steps ?? 1;
  $("loss").value = c.loss ?? cfg.loss;
  $("optimizer-g").value = c.optimizer_g ?? cfg.optimizer;
  $("optimizer-d").value = c.optimizer_d ?? cfg.optimizer;
  $("pace").value = c.pace ?? 0;
  $("pace-value").textContent = paceText($("pace").value);
  initManifoldDims(latent ? cfg.latent_dim : 0, c.manifold_dims ?? latent?.dims ?? [0, 1]);
}

// One select per latent dimension the grid spans, shown only for a run with a latent grid
// (latentDim 0 otherwise) and a choice of dimensions.
function initManifoldDims(latentDim, dims) {
  $("manifold-dims").hidden = !(latentDim > dims.length);
  dims.forEach((d, i) => {
    const select = $(`manifold-dim-${i}`);
    if (select.options.length !== latentDim)
      select.replaceChildren(...Array.from({ length: latentDim }, (_, k) => new Option(`z${k}`, k)));
    select.value = d;
  });
  $("manifold-dim-1").hidden = dims.length < 2;
}

/** Move the learning-rate sliders to the rates in force (from metrics frames), unless
 * one is being dragged. */
export function followRates(rates) {
  for (const [id, key] of [["lr-g", "lr_g"], ["lr-d", "lr_d"]])
    if (rates?.[key] != null && document.activeElement !== $(id)) setSlider(id, rates[key]);
}

/** Enable or disable every control. */
export function enableControls(enabled) {
  for (const id of INPUTS) $(id).disabled = !enabled;
}

/** Wire the controls of run runId; onRun gets the run each change answers with. */
export function wireControls(runId, onRun) {
  const send = (body) => change(runId, body, onRun);
  for (const [id, key] of [["lr-g", "lr_g"], ["lr-d", "lr_d"]]) {
    const slider = $(id);
    slider.oninput = () => { $(`${id}-value`).textContent = (10 ** slider.value).toExponential(1); };
    slider.onchange = () => send({ [key]: Number((10 ** slider.value).toPrecision(3)) });
  }
  $("freeze-g").onchange = (e) => send({ freeze_g: e.target.checked });
  $("freeze-d").onchange = (e) => send({ freeze_d: e.target.checked });
  $("d-steps").onchange = (e) => send({ d_steps: Math.min(20, Math.max(1, Math.round(Number(e.target.value) || 1))) });
  $("loss").onchange = (e) => send({ loss: e.target.value });
  for (const net of ["g", "d"]) {
    $(`optimizer-${net}`).onchange = async (e) => {
      const name = e.target.selectedOptions[0].text;
      await send({ [`optimizer_${net}`]: e.target.value });
      $("control-note").textContent = `${net.toUpperCase()}'s optimizer is now ${name}, with a fresh `
        + "state: the old one's momentum (and Adam's moment estimates) are gone.";
    };
  }
  $("pace").oninput = (e) => { $("pace-value").textContent = paceText(e.target.value); };
  $("pace").onchange = (e) => send({ pace: Number(e.target.value) });
  const dims = () => [0, 1].filter((i) => !$(`manifold-dim-${i}`).hidden).map((i) => Number($(`manifold-dim-${i}`).value));
  for (const i of [0, 1]) $(`manifold-dim-${i}`).onchange = () => send({ manifold_dims: dims() });
}
