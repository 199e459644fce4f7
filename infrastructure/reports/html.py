"""The backtest report as one self-contained HTML page (pictures drawn offline by matplotlib).

Long curves are reduced to the minimum and maximum of each of a few thousand
buckets before drawing, so a million bars draw as fast as a thousand and no
peak or trough is lost. Images are embedded as base64 PNG: no CDN, no fetch.

The price chart needs the closes, which the report's document does not hold: the caller
passes them (``Closes``, read back from the run's log) beside the document. Each picture's
``<img>`` says what it shows in ``alt``; the price chart's also counts the markers drawn
(``data-entries``, ``data-exits``, ``data-breakers``).
"""

from __future__ import annotations

import base64
import html
import io
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from infrastructure.reports.prices import Closes

BUCKETS = 3_000
BREAKER_LABELS = 20
"""Breaker changes labelled with their new state (each is drawn; the labels of more would overlap)."""
PRICE_CHART = "Price (close) with entries, exits and breaker changes"
LOG_SCALE_RATIO = 100
"""Closes spanning this factor or more are drawn on a log scale (a coin that went from cents to
dollars would otherwise be a flat line for its first months)."""


def _envelope(ts_ms: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(values) <= 2 * BUCKETS:
        return ts_ms, values
    edges = np.linspace(0, len(values), BUCKETS + 1, dtype=np.int64)
    xs, ys = [], []
    for start, stop in itertools.pairwise(edges):
        chunk = values[start:stop]
        low, high = int(np.argmin(chunk)) + start, int(np.argmax(chunk)) + start
        for index in sorted((low, high)):
            xs.append(ts_ms[index])
            ys.append(values[index])
    return np.asarray(xs), np.asarray(ys)


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def _dates(ts_ms: np.ndarray) -> Any:
    return ts_ms.astype("datetime64[ms]")


def _dates_axis(ax: Any) -> None:
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))  # type: ignore[no-untyped-call]


def _times(texts: Sequence[str]) -> np.ndarray:
    # ISO-8601 UTC as the report writes it ("+00:00"), to datetime64 (which takes no offset)
    return np.asarray([text.removesuffix("+00:00") for text in texts], dtype="datetime64[us]")


def _markers(ax: Any, trips: Sequence[dict[str, Any]], end: str, marker: str, colour: str) -> Any:
    # Each round trip's entry (or exit) at its time and price.
    return ax.scatter(
        _times([t[f"{end}_time"] for t in trips]),
        np.asarray([float(t[f"{end}_price"]) for t in trips]),
        marker=marker,
        s=28,
        color=colour,
        zorder=3,
        label=f"{end} ({len(trips):,})",
    )


def _count(markers: Any) -> int:
    return int(np.asarray(markers.get_offsets()).shape[0])


def _price_figure(report: dict[str, Any], closes: Closes) -> tuple[str, dict[str, int]]:
    x, y = _envelope(closes.time_ms, closes.close)
    fig, ax = plt.subplots(figsize=(11, 3.8))
    ax.plot(_dates(x), y, color="#57606a", linewidth=0.8, label="close")
    trips = [*report["trades"], *report["open_positions"]]
    exited = [t for t in trips if t["exit_time"]]
    entries = _markers(ax, trips, "entry", "^", "#2da44e")
    exits = _markers(ax, exited, "exit", "v", "#d73a49")
    lines = []
    for index, change in enumerate(report["breakers"]):
        at = _times([change["time"]])[0]
        lines.append(ax.axvline(at, color="#9a6700", linestyle="--", linewidth=0.9))
        if index < BREAKER_LABELS:
            ax.annotate(
                f"{change['scope']}: {change['to']}",
                (at, 0.98),
                xycoords=("data", "axes fraction"),
                rotation=90,
                ha="right",
                va="top",
                fontsize=7,
                color="#9a6700",
            )
    low, high = float(np.min(closes.close)), float(np.max(closes.close))
    logarithmic = low > 0 and high / low >= LOG_SCALE_RATIO
    if logarithmic:
        ax.set_yscale("log")
    ax.set_title(
        "Price (close"
        + (", log scale" if logarithmic else "")
        + "), entries and exits"
        + (", breaker changes (dashed)" if lines else "")
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    _dates_axis(ax)
    ax.grid(alpha=0.3)
    drawn = {"entries": _count(entries), "exits": _count(exits), "breakers": len(lines)}
    return _png(fig), drawn


def _figures(report: dict[str, Any], closes: Closes | None) -> list[tuple[str, str, Mapping[str, int]]]:
    ts = np.asarray(report["equity"]["time_ms"], dtype=np.int64)
    equity = np.asarray(report["equity"]["value"], dtype=np.float64)
    pictures: list[tuple[str, str, Mapping[str, int]]] = []
    if closes is not None and len(closes):
        pictures.append((PRICE_CHART, *_price_figure(report, closes)))
    x, y = _envelope(ts, equity)
    fig, ax = plt.subplots(figsize=(11, 3.4))
    ax.plot(_dates(x), y, color="#1f6feb", linewidth=0.9)
    ax.set_title("Equity (marked to market at each bar close)")
    _dates_axis(ax)
    ax.grid(alpha=0.3)
    pictures.append(("Equity curve", _png(fig), {}))
    peaks = np.maximum.accumulate(equity) if len(equity) else equity
    drawdown = (equity - peaks) / peaks * 100 if len(equity) else equity
    x, y = _envelope(ts, drawdown)
    fig, ax = plt.subplots(figsize=(11, 2.6))
    ax.fill_between(_dates(x), y, 0, color="#d73a49", alpha=0.5, linewidth=0)
    ax.set_title("Drawdown from the running peak (%)")
    _dates_axis(ax)
    ax.grid(alpha=0.3)
    pictures.append(("Drawdown", _png(fig), {}))
    trades = [t for t in report["trades"] if t["exit_time"]]
    if trades:
        exits = np.asarray([np.datetime64(t["exit_time"].replace("+00:00", "")) for t in trades])
        pnl = np.asarray([float(t["pnl"]) for t in trades])
        fig, ax = plt.subplots(figsize=(11, 2.8))
        ax.scatter(exits, pnl, s=6, c=np.where(pnl >= 0, "#2da44e", "#d73a49"))
        ax.axhline(0, color="#555", linewidth=0.6)
        ax.set_title(f"Round-trip P&L at exit ({len(trades):,} trades, net of fees)")
        _dates_axis(ax)
        ax.grid(alpha=0.3)
        pictures.append(("Trades", _png(fig), {}))
    return pictures


def _table(rows: Sequence[tuple[str, Any]]) -> str:
    cells = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def _image(name: str, data: str, counts: Mapping[str, int]) -> str:
    attributes = "".join(f" data-{key}='{value}'" for key, value in counts.items())
    title = html.escape(name)
    return (
        f"<h2>{title}</h2><img alt='{title}' title='{title}'{attributes} src='data:image/png;base64,{data}'>"
    )


def write_html(report: dict[str, Any], path: Path, closes: Closes | None = None) -> None:
    """Write the page for ``report`` (the JSON report's dictionary) to ``path``; with ``closes``
    (the run's bars, from its log), a price chart with the trades and breaker changes on it."""
    run = report["run"]
    title = f"{run['strategy']} on {run['symbol']} ({run['venue']})"
    images = "".join(_image(name, data, counts) for name, data, counts in _figures(report, closes))
    trades = report["trades"][-50:]
    trade_rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(t[k]))}</td>"
            for k in ("entry_time", "entry_price", "exit_time", "exit_price", "size", "pnl")
        )
        + "</tr>"
        for t in trades
    )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>MemeSnipe backtest: {html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}
table{{border-collapse:collapse;margin:1em 0}}th,td{{border:1px solid #ddd;padding:3px 8px;
text-align:left;font-size:13px}}th{{background:#f6f8fa}}img{{max-width:100%}}</style></head><body>
<h1>Backtest: {html.escape(title)}</h1>
{
        _table(
            [
                ("parameters", run["params"]),
                ("cash", run["cash"]),
                ("fee (bps)", run["fee_bps"]),
                ("slippage (bps)", run["slippage_bps"]),
                ("close at end", run["close_at_end"]),
                ("inputs", run["inputs"]),
                ("code", run["code_version"]),
                ("digest", report["digest"]),
                ("log", report["log"]),
            ]
        )
    }
<h2>Statistics</h2>{_table(sorted(report["stats"].items()))}
{images}
<h2>Last {len(trades)} of {len(report["trades"]):,} trades</h2>
<table><tr><th>entry</th><th>entry price</th><th>exit</th><th>exit price</th><th>size</th>
<th>P&amp;L</th></tr>
{trade_rows}</table></body></html>"""
    path.write_text(page, encoding="utf-8")
