// SVG charts of bucketed series: each bucket's lowest and highest value drawn over its time span
// (a band, so a one-bar spike stays visible however many marks a bucket holds), axes in UTC.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const MARGIN = { left: 76, right: 12, top: 8, bottom: 22 };
const SECOND = 1000, MINUTE = 60 * SECOND, HOUR = 60 * MINUTE, DAY = 24 * HOUR;
const TIME_STEPS = [
  SECOND, 5 * SECOND, 15 * SECOND, 30 * SECOND, MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY,
];
const MONTH_STEPS = [1, 3, 6, 12, 24, 60, 120];

function svgElement(name, attributes, text) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

// At most `wanted` ticks on round UTC times (whole seconds to days, then first days of months
// or years), each labelled as much as its step needs.
function timeTicks(start, end, wanted) {
  const span = Math.max(end - start, 1);
  const step = TIME_STEPS.find((s) => span / s <= wanted);
  const ticks = [];
  if (step) {
    const label = (t) => {
      const iso = isoTime(t);
      if (step >= DAY) return iso.slice(0, 10);
      if (step < MINUTE) return iso.slice(11, 19);
      return (span > DAY ? iso.slice(5, 10) + " " : "") + iso.slice(11, 16);
    };
    for (let t = Math.ceil(start / step) * step; t <= end; t += step) ticks.push({ t, label: label(t) });
    return ticks;
  }
  const months = MONTH_STEPS.find((m) => span / (m * 30.44 * DAY) <= wanted) || 240;
  const first = new Date(start);
  let index = first.getUTCFullYear() * 12 + first.getUTCMonth();
  if (Date.UTC(Math.floor(index / 12), index % 12) < start) index += 1;
  for (index = Math.ceil(index / months) * months; ; index += months) {
    const t = Date.UTC(Math.floor(index / 12), index % 12);
    if (t > end) return ticks;
    ticks.push({ t, label: isoTime(t).slice(0, months % 12 ? 7 : 4) });
  }
}

// Round values (1, 2 or 5 times a power of ten apart) between low and high, and the decimals they need.
function valueTicks(low, high, wanted) {
  const raw = (high - low) / wanted;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) ticks.push(v);
  return { ticks, decimals: Math.max(0, -Math.floor(Math.log10(step))) };
}

// series: {items: [{from, to, low, high}] (ms, numbers), start, end (ms), invert (larger values
// drawn lower, for drawdown), floor (a value the scale must include), unit (after each label)}.
function drawBands(svg, series) {
  svg.replaceChildren();
  const [, , width, height] = svg.getAttribute("viewBox").split(" ").map(Number);
  const left = MARGIN.left, right = width - MARGIN.right, top = MARGIN.top, bottom = height - MARGIN.bottom;
  let low = Math.min(...series.items.map((b) => b.low)), high = Math.max(...series.items.map((b) => b.high));
  if (series.floor !== undefined) { low = Math.min(low, series.floor); high = Math.max(high, series.floor); }
  const pad = (high - low) * 0.05 || Math.abs(high) * 0.01 || 1;
  if (series.floor !== low) low -= pad;
  high += pad;
  const span = series.end - series.start || 1;
  const x = (t) => left + ((t - series.start) / span) * (right - left);
  const y = (v) => (series.invert ? top + ((v - low) / (high - low)) * (bottom - top)
    : bottom - ((v - low) / (high - low)) * (bottom - top));
  const { ticks, decimals } = valueTicks(low, high, 5);
  const number = new Intl.NumberFormat("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  for (const v of ticks) {
    svg.appendChild(svgElement("line", { class: "grid", x1: left, x2: right, y1: y(v), y2: y(v) }));
    svg.appendChild(svgElement("text", { class: "tick y", x: left - 6, y: y(v) + 3 }, number.format(v) + (series.unit || "")));
  }
  for (const tick of timeTicks(series.start, series.end, 6)) {
    const at = x(tick.t), edge = at > right - 36 ? " end" : at < left + 36 ? " start" : "";  // labels stay inside
    svg.appendChild(svgElement("line", { class: "grid", x1: at, x2: at, y1: top, y2: bottom }));
    svg.appendChild(svgElement("text", { class: "tick x" + edge, x: at, y: height - 6 }, tick.label));
  }
  svg.appendChild(svgElement("text", { class: "tick unit", x: 4, y: height - 6 }, "UTC"));
  const point = (t, v) => x(t).toFixed(1) + "," + y(v).toFixed(1);
  const upper = series.items.flatMap((b) => [point(b.from, b.high), point(b.to, b.high)]);
  const lower = series.items.flatMap((b) => [point(b.from, b.low), point(b.to, b.low)]);
  svg.appendChild(svgElement("polygon", { class: "band", points: [...upper, ...[...lower].reverse()].join(" ") }));
  svg.appendChild(svgElement("polyline", { class: "edge high", points: upper.join(" ") }));
  svg.appendChild(svgElement("polyline", { class: "edge low", points: lower.join(" ") }));
  return { x, y };
}
