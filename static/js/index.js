// Runs list (live over /ws/runs) and the launch form, generated from RunConfig's JSON schema
// (its fields' inputs: formfields.js; a plugin's parameters: params.js).
import { api, liveSocket } from "./transport.js";
import { fmt, qualityText, runLabel } from "./format.js";
import { LIFECYCLE } from "./lifecycle.js";
import { initOwnData } from "./owndata.js";
import { checkValue, fieldSpec, inputFor, readInput, writeInput } from "./formfields.js";
import { ParamsForm } from "./params.js";

const runs = new Map();
const selected = new Set();
let schema, presets = [], presetConfig = {};

// ---------- runs list ----------
function renderRuns() {
  const body = document.querySelector("#runs tbody");
  const rows = [...runs.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  document.getElementById("no-runs").hidden = rows.length > 0;
  body.replaceChildren(...rows.map(rowFor));
  document.getElementById("compare").disabled = selected.size < 2;
}

function rowFor(run) {
  const tr = document.createElement("tr");
  tr.dataset.id = run.id;
  const m = run.latest_metrics;
  const live = LIFECYCLE.live.includes(run.status);
  const status = run.status === "queued" && run.queue_position ? `queued #${run.queue_position}` : run.status;
  tr.innerHTML = `
    <td><input type="checkbox" class="pick" aria-label="select ${run.id}" ${selected.has(run.id) ? "checked" : ""}></td>
    <td><a href="/runs/${run.id}"><code>${run.id}</code></a></td>
    <td><span class="badge ${run.status}">${status}</span></td>
    <td>${runLabel(run)}</td>
    <td><progress max="${run.total_steps}" value="${run.step}"></progress> ${run.step} / ${run.total_steps}</td>
    <td>${m ? `${fmt(m.loss_d)} / ${fmt(m.loss_g)}` : "–"}</td>
    <td>${qualityText(run.latest_quality)}</td>
    <td>${new Date(run.created_at).toLocaleString()}</td>
    <td>${live ? `<button class="stop" type="button">Stop</button>` : `<button class="delete" type="button">Delete</button>`}</td>`;
  tr.querySelector(".pick").onchange = (e) => {
    if (e.target.checked) selected.add(run.id); else selected.delete(run.id);
    document.getElementById("compare").disabled = selected.size < 2;
  };
  const stop = tr.querySelector(".stop");
  if (stop) stop.onclick = () => api(`/api/runs/${run.id}/stop`, { method: "POST" }).catch(alertError);
  const del = tr.querySelector(".delete");
  if (del) del.onclick = () => {
    if (!window.confirm(`Delete run ${run.id} with its history and checkpoints? This cannot be undone.`)) return;
    api(`/api/runs/${run.id}`, { method: "DELETE" })
      .then(() => { runs.delete(run.id); renderRuns(); }).catch(alertError);
  };
  return tr;
}

function alertError(err) { document.getElementById("form-error").textContent = err.message; }

liveSocket("/ws/runs", (frame) => {
  if (frame.type === "runs") { runs.clear(); frame.data.forEach((r) => runs.set(r.id, r)); }
  else if (frame.type === "run") runs.set(frame.run.id, frame.run);
  else if (frame.type === "deleted") runs.delete(frame.id);
  else if (frame.type === "positions") {
    const place = new Map(frame.queue.map((id, i) => [id, i + 1]));
    for (const run of runs.values()) run.queue_position = place.get(run.id) ?? null;
  }
  renderRuns();
}, () => {});

document.getElementById("compare").onclick = () => {
  location.href = `/compare?ids=${[...selected].join(",")}`;
};

// ---------- launch form ----------
const paramsForms = {}; // model_params, dataset_params: by field name
const choiceData = {}; // a choices_from field's catalogue entries

function specOf(name) { return fieldSpec(schema.properties[name]); }

function buildForm() {
  const fields = document.getElementById("fields");
  const groups = {};
  for (const [name, prop] of Object.entries(schema.properties)) {
    const group = prop.group ?? "other";
    if (!groups[group]) {
      const fs = document.createElement("fieldset");
      fs.innerHTML = `<legend>${group}</legend>`;
      fields.append(fs);
      groups[group] = fs;
    }
    const wrap = document.createElement("div");
    wrap.className = "field";
    wrap.dataset.field = name;
    const label = document.createElement("label");
    label.htmlFor = `f-${name}`;
    label.textContent = name;
    const input = inputFor(`f-${name}`, name, specOf(name));
    input.addEventListener("input", () => validateField(name));
    if (prop.params_for) paramsForms[name] = new ParamsForm(name, input);
    if (prop.choices_from) input.addEventListener("change", () => showParams(name));
    const help = document.createElement("small");
    help.textContent = prop.description ?? "";
    const err = document.createElement("span");
    err.className = "error field-error";
    err.id = `e-${name}`;
    wrap.append(label, input, help, err);
    groups[group].append(wrap);
  }
}

// The parameters of the plugin chosen in field ``owner`` (model or dataset), if any.
function showParams(owner) {
  for (const [name, form] of Object.entries(paramsForms)) {
    if (schema.properties[name].params_for !== owner) continue;
    const chosen = (choiceData[owner] ?? []).find((d) => d.name === readField(owner));
    form.show(chosen?.params_schema ?? null);
  }
}

function readField(name) {
  if (paramsForms[name]) return paramsForms[name].read();
  return readInput(document.getElementById(`f-${name}`), specOf(name));
}

function writeField(name, value) {
  if (paramsForms[name]) return paramsForms[name].write(value);
  writeInput(document.getElementById(`f-${name}`), value);
  if (schema.properties[name].choices_from) showParams(name);
}

function validateField(name) {
  const msg = paramsForms[name] ? paramsForms[name].check() : checkValue(specOf(name), readField(name));
  document.getElementById(`e-${name}`).textContent = msg;
  return msg === "";
}

function fillFrom(config) {
  for (const name of Object.keys(schema.properties)) writeField(name, config[name]);
}

function selectPreset(name) {
  const preset = presets.find((p) => p.name === name);
  presetConfig = preset.config;
  document.getElementById("preset-description").textContent = preset.description;
  fillFrom(presetConfig);
  document.querySelectorAll(".field-error").forEach((e) => { e.textContent = ""; });
}

async function submit(event) {
  event.preventDefault();
  document.getElementById("form-error").textContent = "";
  const names = Object.keys(schema.properties);
  const valid = names.map(validateField).every(Boolean);
  if (!valid) {
    document.getElementById("form-error").textContent = "Some fields are out of range: see the messages next to them.";
    return;
  }
  const overrides = {};
  for (const name of names) {
    const value = readField(name);
    if (JSON.stringify(value) !== JSON.stringify(presetConfig[name])) overrides[name] = value;
  }
  const preset = document.getElementById("preset").value;
  try {
    const run = await api("/api/runs", { method: "POST", body: { preset, overrides } });
    location.href = `/runs/${run.id}`;
  } catch (err) {
    showServerErrors(err);
  }
}

function showServerErrors(err) {
  if (!Array.isArray(err.detail)) {
    document.getElementById("form-error").textContent = err.message;
    return;
  }
  const general = [];
  for (const item of err.detail) {
    const params = item.loc.find((part) => paramsForms[part]); // a plugin parameter's error
    const field = params ?? item.loc[item.loc.length - 1];
    const slot = document.getElementById(`e-${field}`);
    if (slot) slot.textContent = item.msg; else general.push(`${field}: ${item.msg}`);
  }
  document.getElementById("form-error").textContent =
    general.length ? general.join("; ") : "The server refused some fields: see the messages next to them.";
}

// Fields whose choices live on the server (the dataset: built-in sets, image folders, uploads).
async function fillChoices() {
  for (const [name, prop] of Object.entries(schema.properties)) {
    if (!prop.choices_from) continue;
    const input = document.getElementById(`f-${name}`);
    const keep = input.value;
    const { data } = await api(prop.choices_from);
    choiceData[name] = data;
    input.replaceChildren(...data.map((d) => {
      const note = d.uploaded ? ` (yours: ${d.count} points, ${d.dim}-D)`
        : d.folder ? ` (folder: ${d.count} ${d.channels} images, ${d.classes.length} classes)`
        : d.plugin ? " (plugin)"
        : d.available === false ? " (files missing)" : "";
      const option = new Option(`${d.name}${note}`, d.name);
      option.title = d.description;
      return option;
    }));
    if (keep) input.value = keep;
    showParams(name);
  }
}

// Train on a set just saved: the form's settings, on an MLP preset when the form is on images.
async function launchOn(set) {
  if (readField("model") !== "mlp") {
    document.getElementById("preset").value = "ring-8";
    selectPreset("ring-8");
  }
  writeField("dataset", set.name);
  await submit(new Event("submit"));
}

async function initForm() {
  [schema, { data: presets }] = await Promise.all([api("/api/config-schema"), api("/api/presets")]);
  buildForm();
  await fillChoices();
  initOwnData({
    onSaved: async (set) => { await fillChoices(); writeField("dataset", set.name); },
    launch: launchOn,
  });
  const select = document.getElementById("preset");
  presets.forEach((p) => select.add(new Option(p.name, p.name)));
  select.onchange = () => selectPreset(select.value);
  const clone = new URLSearchParams(location.search).get("clone");
  if (clone) {
    const run = await api(`/api/runs/${clone}`);
    select.value = run.preset ?? presets[0].name;
    selectPreset(select.value);
    fillFrom(run.config);
    document.getElementById("launch").scrollIntoView();
  } else {
    select.value = presets.some((p) => p.name === "ring-8") ? "ring-8" : presets[0].name;
    selectPreset(select.value);
  }
  document.getElementById("launch-form").addEventListener("submit", submit);
  document.getElementById("launch-button").disabled = false; // the form is whole now
}

initForm().catch(alertError);
