// Form inputs from JSON-schema properties: one input per property, read back as typed
// values and checked against the schema's bounds (the bounds the server enforces).

export function fieldSpec(prop, defs = {}) {
  // Optional fields come as anyOf [spec, {type: null}]; enums of a plugin's model as $ref.
  const spec = prop.anyOf ? { ...prop.anyOf.find((s) => s.type !== "null"), optional: true } : { ...prop };
  const ref = spec.$ref ?? spec.allOf?.[0]?.$ref;
  const resolved = ref ? defs[ref.split("/").pop()] ?? {} : {};
  return { ...prop, ...resolved, ...spec };
}

export function inputFor(id, name, spec) {
  let input;
  if (spec.params_for) {
    input = document.createElement("div"); // a plugin's parameters: filled by ParamsForm
    input.className = "params";
  } else if (spec.enum) {
    input = document.createElement("select");
    spec.enum.forEach((v) => input.add(new Option(v, v)));
  } else if (spec.choices_from) {
    input = document.createElement("select"); // filled from that endpoint
  } else if (spec.type === "boolean") {
    input = document.createElement("input");
    input.type = "checkbox";
  } else {
    input = document.createElement("input");
    if (spec.type === "integer" || spec.type === "number") {
      input.type = "number";
      input.step = spec.type === "integer" ? "1" : "any";
      if (spec.minimum !== undefined) input.min = spec.minimum;
      if (spec.maximum !== undefined) input.max = spec.maximum;
    } else input.type = "text";
  }
  input.name = name;
  input.id = id;
  return input;
}

// The input's value as the schema's type: undefined when a required value is missing.
export function readInput(input, spec) {
  if (input.type === "checkbox") return input.checked;
  if (input.value === "") return spec.optional ? null : undefined;
  if (spec.type === "integer") return Number.parseInt(input.value, 10);
  if (spec.type === "number") return Number.parseFloat(input.value);
  return input.value;
}

export function writeInput(input, value) {
  if (input.type === "checkbox") input.checked = Boolean(value);
  else input.value = value ?? "";
}

// "" when ``value`` passes the schema's bounds, else what is wrong with it.
export function checkValue(spec, value) {
  if (value === undefined) return "required";
  if (typeof value !== "number") return "";
  if (Number.isNaN(value)) return "not a number";
  if (spec.type === "integer" && !Number.isInteger(value)) return "must be a whole number";
  if (spec.minimum !== undefined && value < spec.minimum) return `must be >= ${spec.minimum}`;
  if (spec.maximum !== undefined && value > spec.maximum) return `must be <= ${spec.maximum}`;
  if (spec.exclusiveMinimum !== undefined && value <= spec.exclusiveMinimum) return `must be > ${spec.exclusiveMinimum}`;
  if (spec.exclusiveMaximum !== undefined && value >= spec.exclusiveMaximum) return `must be < ${spec.exclusiveMaximum}`;
  return "";
}
