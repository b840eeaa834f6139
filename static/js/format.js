// Figures as text.

export function fmt(x, digits = 3) {
  return x === null || x === undefined || Number.isNaN(x) ? "–" : Number(x).toFixed(digits);
}

export function qualityText(q) {
  if (!q) return "–";
  if (q.modes_total != null) return `${q.modes_covered}/${q.modes_total} modes, ${fmt(100 * q.high_quality, 1)}% HQ`;
  if (q.classes_covered != null) {
    const real = q.real_score != null ? ` of ${fmt(q.real_score, 1)} for real data` : "";
    return `${q.classes_covered}/${q.class_coverage.length} classes, score ${fmt(q.score, 2)}${real}`;
  }
  if (q.mean != null) return `mean ${fmt(q.mean, 2)} std ${fmt(q.std, 2)}`;
  return q.distance != null ? `distance ${fmt(q.distance, 4)}` : "–";
}

/** What a run trains: its preset, with its dataset when that is not the preset's name. */
export function runLabel(run) {
  const { preset, config } = run;
  if (!preset) return config.dataset;
  return preset === config.dataset ? preset : `${preset} · ${config.dataset}`;
}
