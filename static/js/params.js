// A plugin's parameters (model_params, dataset_params): a sub-form built from the JSON
// schema in the plugin's catalogue entry, read back as one object.
import { checkValue, fieldSpec, inputFor, readInput, writeInput } from "./formfields.js";

export class ParamsForm {
  constructor(name, container) {
    this.name = name;
    this.container = container;
    this.schema = null;
  }

  // Show the parameters of ``schema``: null (or none listed) when the choice takes none.
  show(schema) {
    const props = schema?.properties ?? {};
    this.schema = Object.keys(props).length ? schema : null;
    this.container.replaceChildren();
    if (!this.schema) {
      this.container.textContent = "none";
      return;
    }
    for (const [key, prop] of this.entries()) {
      const wrap = document.createElement("div");
      wrap.className = "param";
      const label = document.createElement("label");
      label.htmlFor = this.id(key);
      label.textContent = key;
      const input = inputFor(this.id(key), key, prop);
      writeInput(input, prop.default);
      const help = document.createElement("small");
      help.textContent = prop.description ?? "";
      wrap.append(label, input, help);
      this.container.append(wrap);
    }
  }

  entries() {
    const defs = this.schema.$defs ?? {};
    return Object.entries(this.schema.properties).map(([key, prop]) => [key, fieldSpec(prop, defs)]);
  }

  id(key) { return `f-${this.name}-${key}`; }

  read() {
    if (!this.schema) return {};
    const out = {};
    for (const [key, spec] of this.entries()) {
      const value = readInput(document.getElementById(this.id(key)), spec);
      if (value !== undefined && value !== null) out[key] = value;
    }
    return out;
  }

  write(values) {
    if (!this.schema) return;
    for (const [key, spec] of this.entries()) {
      writeInput(document.getElementById(this.id(key)), values?.[key] ?? spec.default);
    }
  }

  // "" when every parameter passes its bounds, else what is wrong, parameter by parameter.
  check() {
    if (!this.schema) return "";
    return this.entries()
      .map(([key, spec]) => {
        const msg = checkValue(spec, readInput(document.getElementById(this.id(key)), spec));
        return msg ? `${key} ${msg}` : "";
      })
      .filter(Boolean)
      .join("; ");
  }
}
