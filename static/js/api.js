// Shared helpers: REST calls with the optional access token, websocket URLs, colours.

// Okabe-Ito: distinct for colour-blind viewers.
export const COLORS = {
  real: "#0072B2", fake: "#E69F00", d: "#D55E00", g: "#009E73",
  other: ["#56B4E9", "#CC79A7", "#F0E442", "#000000", "#0072B2", "#E69F00"],
};
export const MAX_POINTS = 5000;

function token() { return localStorage.getItem("ganwatch-token"); }

export async function api(path, { method = "GET", body } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  let res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) {
    const given = window.prompt("This ganwatch server needs its access token (GANWATCH_TOKEN):");
    if (given) {
      localStorage.setItem("ganwatch-token", given);
      return api(path, { method, body });
    }
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(typeof data?.detail === "string" ? data.detail : `HTTP ${res.status}`);
    err.status = res.status;
    err.detail = data?.detail;
    throw err;
  }
  return data;
}

export function wsUrl(path) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const t = token();
  return `${proto}//${location.host}${path}${t ? `?token=${encodeURIComponent(t)}` : ""}`;
}

// A websocket that reconnects with backoff; onFrame gets parsed frames, onState the state.
export function liveSocket(path, onFrame, onState) {
  let delay = 500, closed = false, ws;
  function open() {
    ws = new WebSocket(wsUrl(path));
    ws.onopen = () => { delay = 500; onState("live"); };
    ws.onmessage = (msg) => onFrame(JSON.parse(msg.data));
    ws.onclose = () => {
      if (closed) return;
      onState(`reconnecting in ${(delay / 1000).toFixed(1)} s`);
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  open();
  return { close() { closed = true; ws.close(); } };
}

const scripts = new Map();

// Run a classic script once (e.g. the preloaded Plotly); resolves when it has run.
export function loadScript(src) {
  if (!scripts.has(src)) {
    scripts.set(src, new Promise((resolve, reject) => {
      const el = Object.assign(document.createElement("script"), { src, onload: resolve, onerror: reject });
      document.head.append(el);
    }));
  }
  return scripts.get(src);
}

export function fmt(x, digits = 3) {
  return x === null || x === undefined || Number.isNaN(x) ? "–" : Number(x).toFixed(digits);
}

export function qualityText(q) {
  if (!q) return "–";
  if (q.modes_total != null) return `${q.modes_covered}/${q.modes_total} modes, ${fmt(100 * q.high_quality, 1)}% HQ`;
  if (q.classes_covered != null) return `${q.classes_covered}/10 classes, score ${fmt(q.score, 2)}`;
  if (q.mean != null) return `mean ${fmt(q.mean, 2)} std ${fmt(q.std, 2)}`;
  return q.distance != null ? `distance ${fmt(q.distance, 4)}` : "–";
}

export const LAYOUT = {
  margin: { l: 50, r: 15, t: 30, b: 45 }, height: 300,
  legend: { orientation: "h", x: 0, y: 1, yanchor: "bottom" }, font: { size: 13 },
  paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fafafa",
};
export const CONFIG = { responsive: true, displaylogo: false };
