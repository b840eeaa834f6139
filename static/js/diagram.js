// The model diagram: z -> G -> fake -> D <- real -> losses, as an inline SVG whose parts
// light up for the phase of the latest frame ("d": D's update, "g": G's, "both").
const SVG = "http://www.w3.org/2000/svg";

// [id, label, x, y, phases]: boxes centred at (x, y) in a 400 x 130 view box.
const NODES = [
  ["z", "noise z", 40, 35, "g"], ["G", "G", 120, 35, "g"], ["fake", "G(z) generated", 215, 35, "g d"],
  ["real", "x real", 215, 100, "d"], ["D", "D", 300, 67, "d g"],
  ["loss-d", "loss D", 365, 100, "d"], ["loss-g", "loss G", 365, 35, "g"],
];
// [from, to, phases]
const EDGES = [
  ["z", "G", "g"], ["G", "fake", "g"], ["fake", "D", "d g"], ["real", "D", "d"],
  ["D", "loss-d", "d"], ["D", "loss-g", "g"],
];
const WIDTH = { fake: 96, real: 64, z: 60, "loss-d": 52, "loss-g": 52 };

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

/** Build the diagram into container; returns {highlight(phase)} (null: nothing lit). */
export function modelDiagram(container) {
  const svg = el("svg", { viewBox: "0 0 400 130", class: "diagram", role: "img",
                          "aria-label": "z goes into G, G's samples and real samples into D, D's output into both losses" });
  const defs = el("defs", {});
  const head = el("marker", { id: "diagram-head", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto" });
  head.append(el("path", { d: "M0,0 L10,5 L0,10 z" }));
  defs.append(head);
  svg.append(defs);
  const at = Object.fromEntries(NODES.map(([id, , x, y]) => [id, { x, y, w: WIDTH[id] ?? 40 }]));
  for (const [a, b, phases] of EDGES) {
    const p = at[a], q = at[b];
    const dx = q.x - p.x, dy = q.y - p.y, len = Math.hypot(dx, dy);
    // from box edge to box edge, along the centre line (boxes are 24 high)
    const cut = (n) => Math.min(n.w / 2 / Math.abs(dx / len || 1e-9), 12 / Math.abs(dy / len || 1e-9)) + 2;
    const x1 = p.x + (dx / len) * cut(p), y1 = p.y + (dy / len) * cut(p);
    const x2 = q.x - (dx / len) * cut(q), y2 = q.y - (dy / len) * cut(q);
    svg.append(el("line", { x1, y1, x2, y2, "data-phases": phases, "marker-end": "url(#diagram-head)" }));
  }
  for (const [id, label, x, y, phases] of NODES) {
    const g = el("g", { "data-phases": phases, "data-node": id });
    const w = at[id].w;
    g.append(el("rect", { x: x - w / 2, y: y - 12, width: w, height: 24, rx: 5 }),
             el("text", { x, y: y + 4, "text-anchor": "middle" }, label));
    svg.append(g);
  }
  container.replaceChildren(svg);
  return {
    highlight(phase) {
      svg.dataset.phase = phase ?? "";
      for (const part of svg.querySelectorAll("[data-phases]")) {
        const lit = phase === "both" ? true : Boolean(phase) && part.dataset.phases.split(" ").includes(phase);
        part.classList.toggle("hot", lit);
      }
    },
  };
}
