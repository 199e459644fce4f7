"""Nothing valid is lost because a neighbour row was bad, whatever the mix."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from application.ingest import IngestRequest, Source, SourceRow, ingest
from domain.events import Bar, MarketDataRejected
from domain.ids import Symbol, Venue
from infrastructure.bootstrap import open_ledger
from infrastructure.config import load_settings

GARBAGE = st.sampled_from(
    [
        ("{ts}", "x", "1", "1", "1", "1"),
        ("{ts}", "1", "1", "2", "1", "1"),
        ("{ts}", "-1", "1", "1", "1", "1"),
        ("{ts}", "1", "1", "1", "1", "NaN"),
        ("{ts}", "1", "1", "1", None, "1"),
        ("not a time", "1", "1", "1", "1", "1"),
        ("{ts}", "1", "1", "1", "1", "-5"),
    ]
)


def rows(plan: list[tuple[bool, tuple[str | None, ...]]]) -> Iterator[SourceRow]:
    for line, (_, fields) in enumerate(plan, 1):
        yield SourceRow(line, fields, ",".join(f or "" for f in fields))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), GARBAGE), min_size=1, max_size=60),
    st.integers(min_value=1, max_value=7),
)
def test_every_valid_row_is_stored_in_order_between_any_garbage(
    mix: list[tuple[bool, tuple[str | None, ...]]], batch_size: int
) -> None:
    plan: list[tuple[bool, tuple[str | None, ...]]] = []
    ts = 1_000
    for valid, garbage in mix:
        ts += 60
        if valid:
            plan.append((True, (str(ts), "10", "12", "9", "11", str(ts % 7))))
        else:
            plan.append((False, tuple(f.format(ts=ts + 30) if f else f for f in garbage)))
    with open_ledger(load_settings({}, store="memory")) as store:
        source = Source("mix", "digest", rows(plan))
        request = IngestRequest("bar", Venue("x"), Symbol("A/B"), batch_size)
        try:
            ingest(store.log, request, source)
        except Exception:
            assert not any(valid for valid, _ in plan)
        stored = [r.event for page in store.log.read() for r in page]
    bars = [e for e in stored if isinstance(e, Bar)]
    assert [b.ts_event // 10**9 for b in bars] == [int(f[0] or 0) for v, f in plan if v]
    assert [b.originator_version for b in bars] == list(range(1, len(bars) + 1))
    rejected = [e for e in stored if isinstance(e, MarketDataRejected)]
    assert [r.line for r in rejected] == [i for i, (v, _) in enumerate(plan, 1) if not v]
