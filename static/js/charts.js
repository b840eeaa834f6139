// The run page's Plotly charts over steps: quality, and an image run's classes.
import { COLORS, CONFIG, LAYOUT } from "./plotstyle.js";
import { fmt } from "./format.js";

// Every draw builds new arrays, which Plotly.react sees as new data.
const layout = (extra) => ({ ...LAYOUT, ...extra });

/** Redraw the quality charts from the quality frames (the step charts are stepcharts.js'). */
export function drawQuality(q) {
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
