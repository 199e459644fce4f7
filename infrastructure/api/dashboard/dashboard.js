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

const CHART_EVERY_MS = 15000;
let chartViewsAt = null;
let chartReadAt = 0;

// The session's equity and drawdown from the chart route: all of its marks in at most 2,000
// buckets, each drawn as its lowest-to-highest band. Read again only when the views have moved,
// and at most every CHART_EVERY_MS (a long session's chart is a whole read of its curve).
async function refreshChart(viewsAt) {
  if (viewsAt === chartViewsAt || Date.now() - chartReadAt < CHART_EVERY_MS) return;
  chartReadAt = Date.now();
  const chart = await api("/v1/equity/chart?points=2000");
  chartViewsAt = viewsAt;
  drawEquity(chart);
}

function drawEquity(chart) {
  const equitySvg = $("equity-chart"), drawdownSvg = $("drawdown-chart");
  if (!chart.buckets.length) {
    equitySvg.replaceChildren();
    drawdownSvg.replaceChildren();
    $("equity-summary").textContent = "no marks yet";
    return;
  }
  const start = nsToMs(chart.first.ts), end = nsToMs(chart.last.ts);
  const spans = chart.buckets.map((b) => ({ from: nsToMs(b.ts_first), to: nsToMs(b.ts_last) }));
  const { x, y } = drawBands(equitySvg, {
    items: chart.buckets.map((b, i) => ({ ...spans[i], low: Number(b.equity_min), high: Number(b.equity_max) })),
    start, end,
  });
  for (const [name, mark] of [["first", chart.first], ["last", chart.last]]) {
    const t = nsToMs(mark.ts);
    equitySvg.appendChild(svgElement("circle", { class: "end " + name, cx: x(t), cy: y(Number(mark.equity)), r: 3 }));
  }
  drawBands(drawdownSvg, {
    items: chart.buckets.map((b, i) => ({ ...spans[i], low: Number(b.drawdown_min), high: Number(b.drawdown_max) })),
    start, end, invert: true, floor: 0, unit: "%",
  });
  const extreme = (key, better) => chart.buckets.reduce((a, b) => (better(Number(b[key]), Number(a[key])) ? b : a))[key];
  const lowest = extreme("equity_min", (a, b) => a < b), highest = extreme("equity_max", (a, b) => a > b);
  const deepest = extreme("drawdown_max", (a, b) => a > b);
  Object.assign(equitySvg.dataset, {
    from: isoTime(start), to: isoTime(end), marks: String(chart.marks),
    firstEquity: chart.first.equity, lastEquity: chart.last.equity, minEquity: lowest, maxEquity: highest,
  });
  drawdownSvg.dataset.maxDrawdown = deepest;
  $("drawdown-max").textContent = percent(deepest);
  $("equity-summary").textContent = chart.marks.toLocaleString("en-US") + " marks, " + utcMinute(start) +
    " to " + utcMinute(end) + " UTC, " + chart.last.symbol + " at " + quantity(chart.last.mark);
}

async function refresh() {
  const [latest, cash, positions, orders, breakers, performance] = await Promise.all([
    api("/v1/equity?order=desc&limit=1"),
    api("/v1/cash"),
    api("/v1/positions"),
    api("/v1/orders?order=desc&limit=500"),
    api("/v1/breakers"),
    api("/v1/strategies/performance"),
  ]);
  const last = latest.items[0];
  if (last) {
    $("equity-last").textContent = money(last.equity);
    $("high-water").textContent = money(last.high_water);
    $("drawdown-last").textContent = percent(last.drawdown_pct);
  }
  $("cash").textContent = cash.items.map((c) => c.account + ": " + money(c.cash)).join(", ");
  $("views-at").textContent = String(latest.views_at);
  fillTable("positions", positions.items, [
    "strategy_id", "symbol", (p) => quantity(p.quantity), (p) => quantity(p.average_price),
    (p) => money(p.realized_pnl), (p) => money(p.fees),
  ]);
  const open = orders.items.filter((o) => ["approved", "submitted", "accepted", "partially_filled"].includes(o.status));
  fillTable("open-orders", open, [(o) => o.order_id.slice(0, 8), "side", (o) => quantity(o.quantity), "status"]);
  fillTable("breakers", breakers.items, ["account", "scope", "state", "reason"]);
  fillTable("performance", performance.items, [
    "strategy_id", "trades", (p) => percent(p.win_rate_pct), (p) => money(p.net_pnl), (p) => percent(p.max_drawdown_pct),
  ]);
  await refreshChart(latest.views_at);
}

async function recentDecisions() {
  const page = await api("/v1/orders?order=desc&limit=20");
  fillTable("decisions", page.items, ["valid_from", "status", "strategy_id", "side", (o) => quantity(o.quantity), "reason"]);
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
  chartViewsAt = null;
  chartReadAt = 0;
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
