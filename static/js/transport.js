// Talking to the server: REST calls with the optional access token, websockets that
// reconnect, and scripts loaded once.

// Websocket close codes: refusals that retrying cannot fix, and "busy, come back later".
const REFUSED = { 1008: "refused (foreign origin or no access)", 4404: "run not found" };
const BUSY = 1013;

function token() { return localStorage.getItem("ganwatch-token"); }

// body: sent as JSON, or as multipart when it is a FormData (a file upload).
export async function api(path, { method = "GET", body } = {}) {
  const used = token();
  const form = body instanceof FormData;
  const headers = form ? {} : { "Content-Type": "application/json" };
  if (used) headers.Authorization = `Bearer ${used}`;
  const payload = body === undefined || form ? body : JSON.stringify(body);
  const res = await fetch(path, { method, headers, body: payload });
  if (res.status === 401) {
    // Calls made before the token was given retry with it: the page asks only once.
    if (token() && token() !== used) return api(path, { method, body });
    const given = window.prompt("This ganwatch server needs its access token (GANWATCH_TOKEN):");
    if (given) {
      localStorage.setItem("ganwatch-token", given);
      return api(path, { method, body });
    }
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const fallback = res.status === 413 ? "the file is larger than this server accepts" : `HTTP ${res.status}`;
    const err = new Error(typeof data?.detail === "string" ? data.detail : fallback);
    err.status = res.status;
    err.detail = data?.detail;
    throw err;
  }
  return data;
}

// A websocket URL with a fresh single-use ticket: the token itself never goes in a URL.
export async function wsUrl(path) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const { ticket } = await api("/api/tickets", { method: "POST" });
  return `${proto}//${location.host}${path}?ticket=${encodeURIComponent(ticket)}`;
}

// A websocket that reconnects with backoff; onFrame gets parsed frames, onState the state.
// It gives up on a refusal (1008, 4404) and waits longer when the server is busy (1013).
export function liveSocket(path, onFrame, onState) {
  let delay = 500, closed = false, ws;
  function retry(wait) {
    onState(`reconnecting in ${(wait / 1000).toFixed(1)} s`);
    setTimeout(open, wait);
    delay = Math.min(delay * 2, 10000);
  }
  async function open() {
    let url;
    try { url = await wsUrl(path); } catch (err) { retry(delay); return; }
    ws = new WebSocket(url);
    ws.onopen = () => { delay = 500; onState("live"); };
    ws.onmessage = (msg) => onFrame(JSON.parse(msg.data));
    ws.onclose = (event) => {
      if (closed) return;
      if (REFUSED[event.code]) { onState(`${REFUSED[event.code]}: not reconnecting`); return; }
      retry(event.code === BUSY ? Math.max(delay, 5000) * (1 + Math.random()) : delay);
    };
  }
  open();
  return { close() { closed = true; if (ws) ws.close(); } };
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
