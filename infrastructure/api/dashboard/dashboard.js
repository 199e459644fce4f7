// MemeSnipe dashboard: plain JavaScript and SVG, no libraries, no network but this API.
"use strict";
const $ = (id) => document.getElementById(id);
let apiKey = sessionStorage.getItem("memesnipe-key") || "";
let lastDecision = null;

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: "Bearer " + apiKey } });
  if (!response.ok) throw new Error(path + ": " + response.status + " " + (await response.text()));
  return response.json();
}

function setStatus(text, state) { $("status").textContent = text; $("status").dataset.state = state; }

function cell(row, value, cls) {
  const td = document.createElement("td");
  td.textContent = value === null || value === undefined ? "" : String(value);
  if (cls) td.className = cls;
  row.appendChild(td);
}

function fillTable(id, rows, columns) {
  const body = $(id).querySelector("tbody");
  body.replaceChildren();
  for (const item of rows) {
    const tr = document.createElement("tr");
    for (const column of columns) {
      const value = typeof column === "function" ? column(item) : item[column];
      cell(tr, value, column === "state" ? "state-" + item.state : "");
    }
    body.appendChild(tr);
  }
}

function polyline(svg, values, height, colour, invert) {
  svg.replaceChildren();
  if (values.length < 2) return;
  const min = Math.min(...values), max = Math.max(...values), span = max - min || 1;
  const points = values.map((v, i) => {
    const x = (i / (values.length - 1)) * 900;
    const y = invert ? ((v - min) / span) * (height - 10) + 5 : height - 5 - ((v - min) / span) * (height - 10);
    return x.toFixed(1) + "," + y.toFixed(1);
  });
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", colour);
  line.setAttribute("stroke-width", "1.5");
  line.setAttribute("vector-effect", "non-scaling-stroke");
  svg.appendChild(line);
}

async function refresh() {
  const [equity, cash, positions, orders, breakers, performance] = await Promise.all([
    api("/v1/equity?order=desc&limit=1000"),
    api("/v1/cash"),
    api("/v1/positions"),
    api("/v1/orders?order=desc&limit=500"),
    api("/v1/breakers"),
    api("/v1/strategies/performance"),
  ]);
  const curve = equity.items.slice().reverse();
  if (curve.length) {
    const last = curve[curve.length - 1];
    $("equity-last").textContent = last.equity;
    $("high-water").textContent = last.high_water;
    $("drawdown-last").textContent = last.drawdown_pct;
    $("drawdown-max").textContent = curve.reduce((m, p) => Math.max(m, Number(p.drawdown_pct)), 0).toFixed(6);
    $("equity-summary").textContent = curve.length + " latest marks, " + last.symbol + " at " + last.mark;
  }
  $("cash").textContent = cash.items.map((c) => c.account + ": " + c.cash).join(", ");
  $("views-at").textContent = String(equity.views_at);
  polyline($("equity-chart"), curve.map((p) => Number(p.equity)), 220, "#58a6ff", false);
  polyline($("drawdown-chart"), curve.map((p) => Number(p.drawdown_pct)), 90, "#f85149", true);
  fillTable("positions", positions.items, ["strategy_id", "symbol", "quantity", "average_price", "realized_pnl", "fees"]);
  const open = orders.items.filter((o) => ["approved", "submitted", "accepted", "partially_filled"].includes(o.status));
  fillTable("open-orders", open, [(o) => o.order_id.slice(0, 8), "side", "quantity", "status"]);
  fillTable("breakers", breakers.items, ["account", "scope", "state", "reason"]);
  fillTable("performance", performance.items, ["strategy_id", "trades", "win_rate_pct", "net_pnl", "max_drawdown_pct"]);
}

async function recentDecisions() {
  const page = await api("/v1/orders?order=desc&limit=20");
  fillTable("decisions", page.items, ["valid_from", "status", "strategy_id", "side", "quantity", "reason"]);
  lastDecision = page.views_at;
}

async function follow(signal) {
  // Server-sent events read through fetch, so the key travels in a header, not the URL.
  while (!signal.aborted) {
    try {
      const response = await fetch("/v1/stream?after=" + (lastDecision || 0), {
        headers: { Authorization: "Bearer " + apiKey },
        signal,
      });
      if (!response.ok) {
        const detail = await response.json().then((b) => b.detail, () => response.statusText);
        setStatus("stream: " + response.status + " " + detail, "error");
        if (response.status === 401 || response.status === 403) return; // a new key restarts it
      } else {
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const message = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const id = /^id: (\d+)$/m.exec(message);
            if (id) lastDecision = Number(id[1]);
            if (/^event: (risk|venue\.Order\.Filled)/m.test(message)) await Promise.all([recentDecisions(), refresh()]);
          }
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      setStatus("stream: " + error.message, "error");
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

let refreshTimer = null;
let streamControl = null;

async function start() {
  // A new key replaces the previous polling and stream rather than adding to them.
  clearInterval(refreshTimer);
  if (streamControl) streamControl.abort();
  if (!apiKey) { setStatus("enter an API key", "idle"); return; }
  try {
    await Promise.all([refresh(), recentDecisions()]);
    setStatus("live", "ok");
    refreshTimer = setInterval(() => refresh().catch((e) => setStatus(e.message, "error")), 5000);
    streamControl = new AbortController();
    follow(streamControl.signal);
  } catch (error) {
    setStatus(error.message, "error");
  }
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  apiKey = $("api-key").value.trim();
  sessionStorage.setItem("memesnipe-key", apiKey);
  start();
});
start();
