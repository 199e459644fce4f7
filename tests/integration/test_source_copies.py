"""A backtest's run log with its bars copied from the source file by the writer, not sent.

``memesnipe backtest`` over a SQLite log names each bar by its id in the source; its writer
reads those rows from the source itself. The run log must be what sending the bars gives, row
for row and link for link; a row the source no longer has refuses the batch; and a run whose
copies are not the bars the engine read fails.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from application.backtest import BarsFromLog, run_backtest
from domain.events import Bar
from domain.ids import Symbol
from infrastructure.backtest_wiring import check_copies
from infrastructure.bootstrap import log_file_settings, open_ledger, run_settings
from infrastructure.config import load_settings
from infrastructure.errors import StoreError
from infrastructure.store.codec import EventCodec
from infrastructure.store.source_copies import split_batch
from infrastructure.store.sqlite_writer import SQLiteWriterProcess
from infrastructure.venues.simulated import SimulatedVenue
from tests.engine_helpers import config
from tests.factories import bars
from tests.integration.test_bars_from_log import two_symbols
from tests.properties.test_engine_scan import TIGHT

SYMBOL = Symbol("BTC/USD")


def _source(tmp_path: Path) -> Path:
    """A SQLite ledger of BTC/USD bars with ETH/USD bars between them (ids not consecutive)."""
    settings = load_settings({}, store="sqlite", data_dir=tmp_path / "source")
    with open_ledger(settings) as store:
        two_symbols(store)
    return settings.sqlite_path


def _run(source: Path, run_dir: Path, by_reference: bool, risky: bool) -> list[Any]:
    """A backtest over ``source`` into a fresh run log; its events and chain blocks."""
    params = (("fast", "2"), ("size", "1"), ("slow", "3"))
    cfg = config(symbol=SYMBOL, params=params, limits=TIGHT if risky else None)
    codec = EventCodec()
    venue = lambda s: SimulatedVenue(s.venue, s.originator_id, s.fee_rate, s.slippage_bps)  # noqa: E731
    run_dir.mkdir()
    with (
        open_ledger(log_file_settings(source)) as src,
        open_ledger(run_settings(run_dir), bulk_load=True) as run,
    ):
        writer = SQLiteWriterProcess(
            str(run.settings.sqlite_path), run.log, codec=codec, source=str(source) if by_reference else None
        )
        inputs = BarsFromLog(src.log, codec, SYMBOL, "t", by_reference=by_reference)
        report = run_backtest(
            writer, codec, cfg, inputs, "t", "v", venue, after_session=writer.build_stream_key
        )
        if by_reference:
            check_copies(writer, inputs)
        writer.close()
        assert report.decisions > 0
    database = sqlite3.connect(run.settings.sqlite_path)
    rows = database.execute(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
    ).fetchall()
    blocks = database.execute("SELECT * FROM stored_chain_blocks ORDER BY last_id").fetchall()
    database.close()
    return [rows, blocks]


@pytest.mark.parametrize("risky", [False, True])
def test_a_run_log_copying_its_bars_from_the_source_is_the_run_log_sending_them(
    tmp_path: Path, risky: bool
) -> None:
    source = _source(tmp_path)
    sent = _run(source, tmp_path / "sent", by_reference=False, risky=risky)
    copied = _run(source, tmp_path / "copied", by_reference=True, risky=risky)
    assert copied == sent
    assert sum(1 for row in sent[0] if row[3] == Bar.TOPIC) == 30


def test_batches_split_into_inline_rows_and_runs_of_consecutive_source_ids() -> None:
    """Source ids one by one or as ranges: runs of consecutive ids at each place."""
    a, b = bars(2)
    items = [
        (a, b"x"),
        (None, 5),
        (None, 6),
        (None, 7),
        (b, b"y"),
        (None, 9),
        (None, 11),
        (None, 12),
        (None, range(13, 16)),  # a run of consecutive ids, going on from 12
        (None, range(30, 32)),
    ]
    originators, versions, topics, states, copies = split_batch(items)  # type: ignore[arg-type]
    assert (originators, versions, topics, states) == (
        [a.originator_id, b.originator_id],
        [a.originator_version, b.originator_version],
        [Bar.TOPIC, Bar.TOPIC],
        [b"x", b"y"],
    )
    assert copies == [(1, 5, 3), (2, 9, 1), (2, 11, 5), (2, 30, 2)]


def test_a_batch_copying_a_row_the_source_lacks_is_refused(tmp_path: Path) -> None:
    source = _source(tmp_path)
    with open_ledger(run_settings(tmp_path / "run"), bulk_load=True) as run:
        writer = SQLiteWriterProcess(str(run.settings.sqlite_path), run.log, source=str(source))
        writer.append_encoded([(bars(1)[0], 10_000)])  # type: ignore[list-item]
        with pytest.raises(StoreError, match="has no event 10000"):
            writer.flush()
        writer.close()


def test_a_run_whose_copies_are_not_the_bars_read_fails(tmp_path: Path) -> None:
    source = _source(tmp_path)
    with open_ledger(log_file_settings(source)) as src, open_ledger(run_settings(tmp_path / "run")) as run:
        inputs = BarsFromLog(src.log, EventCodec(), SYMBOL, "t", by_reference=True)
        ids = [source_id for page in inputs.pages() for source_id in page.ids]  # type: ignore[union-attr]
        writer = SQLiteWriterProcess(str(run.settings.sqlite_path), run.log, source=str(source))
        writer.append_encoded([(None, source_id) for source_id in ids[1:]])  # type: ignore[misc]
        with pytest.raises(StoreError, match="the source log changed during the run"):
            check_copies(writer, inputs)
        writer.close()
