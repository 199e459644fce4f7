// Numbers and times as people read them. The API sends money and quantities as exact decimal
// text; they are rounded here, on the text (BigInt, no float on the way), half away from zero.
"use strict";

function roundedText(text, places) {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(text).trim());
  if (!match) return null;
  const [, sign, whole, fraction = ""] = match;
  let units = BigInt(whole + fraction.padEnd(places, "0").slice(0, places));
  if (fraction.length > places && fraction[places] >= "5") units += 1n;
  const digits = units.toString().padStart(places + 1, "0");
  const cut = digits.length - places;
  return {
    negative: sign === "-" && units !== 0n,
    whole: digits.slice(0, cut).replace(/\B(?=(\d{3})+(?!\d))/g, ","),
    fraction: digits.slice(cut),
  };
}

// `places` decimals, thousands separated; text that is not a plain decimal is shown as it came.
function fixed(text, places) {
  if (text === null || text === undefined) return "";
  const parts = roundedText(text, places);
  if (!parts) return String(text);
  return (parts.negative ? "-" : "") + parts.whole + (places ? "." + parts.fraction : "");
}

const money = (text) => fixed(text, 2);
const percent = (text) => fixed(text, 2);

// Quantities and prices: the API has no instrument precision, so at most 8 decimals (a satoshi),
// trailing zeros dropped.
function quantity(text) {
  const shown = fixed(text, 8);
  return /^-?[\d,]+\.\d+$/.test(shown) ? shown.replace(/\.?0+$/, "") : shown;
}

const nsToMs = (ns) => Number(ns) / 1e6;
const isoTime = (ms) => new Date(Math.round(ms)).toISOString();
const utcMinute = (ms) => isoTime(ms).slice(0, 16).replace("T", " ");
