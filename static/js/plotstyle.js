// How every chart looks: the palette, Plotly's layout and config, points per trace.

// Okabe-Ito: distinct for colour-blind viewers.
export const COLORS = {
  real: "#0072B2", fake: "#E69F00", d: "#D55E00", g: "#009E73",
  other: ["#56B4E9", "#CC79A7", "#F0E442", "#000000", "#0072B2", "#E69F00"],
};
export const LAYOUT = {
  margin: { l: 50, r: 15, t: 30, b: 45 }, height: 300,
  legend: { orientation: "h", x: 0, y: 1, yanchor: "bottom" }, font: { size: 13 },
  paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fafafa",
};
export const CONFIG = { responsive: true, displaylogo: false };
// A trace keeps at most this many points (older ones are thinned).
export const MAX_POINTS = 5000;
