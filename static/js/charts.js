// The run page's Plotly charts over steps: losses, D's outputs and quality.
import { COLORS, CONFIG, LAYOUT } from "./plotstyle.js";
import { fmt } from "./format.js";

// Plotly.react diffs data by reference; the arrays grow in place, so each draw bumps
// datarevision to make every plot take the new points.
let revision = 0;

const layout = (extra) => ({ ...LAYOUT, datarevision: revision, ...extra });

// The timeline's step, as a vertical line on a chart (none while live).
const cursorAt = (step) => (step == null ? [] : [{ type: "line", x0: step, x1: step, yref: "paper", y0: 0, y1: 1,
                                                   line: { color: "#222", width: 1 } }]);

/** Redraw the step charts from metrics m, the quality frames and the alerts, with a cursor
 * at the step the timeline shows, if any. */
export function drawCharts(m, quality, alerts, cursor) {
  revision += 1;
  drawLosses(m, alerts, cursor);
  drawProbabilities(m, cursor);
  drawQuality(quality);
}

function drawLosses(m, alerts, cursor) {
  Plotly.react("loss-plot", [
    { x: m.steps, y: m.loss_d, name: "loss D", line: { color: COLORS.d, width: 1.5 } },
    { x: m.steps, y: m.loss_g, name: "loss G", line: { color: COLORS.g, width: 1.5 } },
  ], layout({ xaxis: { title: { text: "step" } },
       shapes: [...alerts.map((a) => ({ type: "line", x0: a.step, x1: a.step, yref: "paper", y0: 0, y1: 1,
                                        line: { color: COLORS.d, dash: "dot", width: 1.5 } })), ...cursorAt(cursor)],
       annotations: alerts.map((a) => ({ x: a.step, yref: "paper", y: 1, text: a.kind.replace("_", " "),
         showarrow: false, font: { color: COLORS.d, size: 11 }, xanchor: "left" })) }), CONFIG);
}

function drawProbabilities(m, cursor) {
  const x0 = m.steps[0] ?? 0, x1 = m.steps.at(-1) ?? 1;
  Plotly.react("prob-plot", [
    { x: m.steps, y: m.d_real, name: "D(x), real", line: { color: COLORS.real, width: 1.5 } },
    { x: m.steps, y: m.d_fake, name: "D(G(z)), generated", line: { color: COLORS.fake, width: 1.5 } },
  ], layout({ yaxis: { range: [0, 1] }, xaxis: { title: { text: "step" } },
       shapes: [{ type: "line", x0, x1, y0: 0.5, y1: 0.5, line: { dash: "dash", color: "#555" } }, ...cursorAt(cursor)],
       annotations: [{ x: x1, y: 0.5, text: "D can no longer tell: 0.5", showarrow: false,
                       yshift: 10, xanchor: "right" }] }), CONFIG);
}

function drawQuality(q) {
  if (!q.length) return;
  const steps = q.map((e) => e.step);
  const last = q.at(-1);
  let traces, look = layout({ xaxis: { title: { text: "step" } } });
  if (last.modes_total != null) {
    traces = [
      { x: steps, y: q.map((e) => e.modes_covered), name: `modes covered / ${last.modes_total}`, line: { color: COLORS.g } },
      { x: steps, y: q.map((e) => 100 * e.high_quality), name: "high-quality %", yaxis: "y2", line: { color: COLORS.fake } },
    ];
    look = { ...look, yaxis: { range: [0, last.modes_total + 0.5] }, yaxis2: { overlaying: "y", side: "right", range: [0, 100], tickmode: "linear", dtick: 25, showgrid: false },
            margin: { ...LAYOUT.margin, r: 45 } };
  } else if (last.class_coverage) {
    traces = [
      { x: steps, y: q.map((e) => e.score), name: `classifier score (now ${fmt(last.score, 2)})`, line: { color: COLORS.g } },
      { x: steps, y: q.map((e) => e.distance), name: "Fréchet distance", yaxis: "y2", line: { color: COLORS.fake } },
    ];
    if (last.real_score != null) { // the ceiling: held-out real images, measured the same way
      const ends = [steps[0], steps.at(-1)];
      traces.push(
        { x: ends, y: [last.real_score, last.real_score], name: `real data's score (${fmt(last.real_score, 2)})`, line: { color: COLORS.g, dash: "dot" } },
        { x: ends, y: [last.real_distance, last.real_distance], name: `real data's distance (${fmt(last.real_distance, 2)})`, yaxis: "y2", line: { color: COLORS.fake, dash: "dot" } },
      );
    }
    look = { ...look, yaxis: { rangemode: "tozero" }, margin: { ...LAYOUT.margin, r: 45 },
             yaxis2: { overlaying: "y", side: "right", rangemode: "tozero", showgrid: false } };
    drawCoverage(q);
  } else {
    traces = [{ x: steps, y: q.map((e) => e.distance), name: "distance to the real data", line: { color: COLORS.fake } }];
  }
  Plotly.react("quality-plot", traces, look, CONFIG);
}

// An image run's classes over time: each column the share of generated samples per class.
function drawCoverage(q) {
  const box = document.getElementById("coverage-plot");
  box.hidden = false;
  const classes = q.at(-1).class_coverage.length;
  Plotly.react(box, [{
    type: "heatmap", x: q.map((e) => e.step), y: Array.from({ length: classes }, (_, k) => String(k)),
    z: Array.from({ length: classes }, (_, k) => q.map((e) => e.class_coverage?.[k] ?? null)),
    colorscale: "Viridis", zmin: 0, colorbar: { title: { text: "share" }, thickness: 12 },
    hovertemplate: "step %{x}, class %{y}: %{z:.2f}<extra></extra>",
  }], layout({ xaxis: { title: { text: "step" } }, yaxis: { title: { text: "class" }, type: "category" },
               margin: { ...LAYOUT.margin, r: 10 }, showlegend: false }), CONFIG);
}
