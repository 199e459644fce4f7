"""The HTML report's price chart: the closes read back from the run's log, a marker for each
entry and exit and a line for each breaker change; the JSON report's bytes are not touched."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from domain.market.columns import CloseColumns
from infrastructure.bootstrap import LedgerStore
from infrastructure.reports.html import PRICE_CHART, write_html
from infrastructure.reports.prices import closes_from_log
from infrastructure.store.codec import EventCodec
from tests.integration.test_projections import backtest, wave


class DecodingCodec(EventCodec):
    """The codec as it is where the C column reader is not built: bars are decoded instead."""

    def close_columns(self, states: Sequence[bytes], symbol: str) -> CloseColumns | None:
        return None


def test_closes_read_as_columns_are_the_closes_decoded(store: LedgerStore) -> None:
    report = backtest(store)
    columns = closes_from_log(store.log, EventCodec(), report.config.symbol)
    decoded = closes_from_log(store.log, DecodingCodec(), report.config.symbol)
    assert np.array_equal(columns.time_ms, decoded.time_ms) and np.array_equal(columns.close, decoded.close)
    assert len(closes_from_log(store.log, EventCodec(), "OTHER/USD")) == 0


def test_the_price_chart_marks_every_entry_exit_and_breaker_change(
    store: LedgerStore, tmp_path: Path
) -> None:
    report = backtest(store)
    encoded, digest = report.to_json(), report.digest
    closes = closes_from_log(store.log, EventCodec(), report.config.symbol)
    assert closes.time_ms.tolist() == [ts // 1_000_000 for ts in report.timestamps]
    assert np.array_equal(closes.close, [float(close) for _, close in wave()])
    document = report.to_dict()
    write_html(document, tmp_path / "report.html", closes)
    page = (tmp_path / "report.html").read_text()
    [image] = re.findall(rf"<img alt='{re.escape(PRICE_CHART)}'[^>]*>", page)
    trips = [*document["trades"], *document["open_positions"]]
    drawn = dict(re.findall(r"data-(\w+)='(\d+)'", image))
    assert drawn == {
        "entries": str(len(trips)),
        "exits": str(sum(1 for trip in trips if trip["exit_time"])),
        "breakers": str(len(document["breakers"])),
    }
    assert len(trips) >= 2 and document["breakers"]
    assert page.count("data:image/png;base64,") == 4
    assert (report.to_json(), report.digest) == (encoded, digest)
    write_html(document, tmp_path / "without.html")  # no closes given: no price chart
    assert PRICE_CHART not in (tmp_path / "without.html").read_text()
