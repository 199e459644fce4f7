from decimal import Decimal

from domain.ids import Symbol, Venue, market_stream_id
from domain.market.rows import BarParser
from infrastructure.feeds.synthetic import SyntheticMarket


def test_same_seed_gives_the_same_rows_and_digest() -> None:
    a, b = SyntheticMarket(bars=2_000, seed=7), SyntheticMarket(bars=2_000, seed=7)
    assert [r.raw for r in a.rows()] == [r.raw for r in b.rows()]
    assert a.source().digest == b.source().digest


def test_another_seed_gives_another_market() -> None:
    a, b = SyntheticMarket(bars=500, seed=7), SyntheticMarket(bars=500, seed=8)
    assert [r.raw for r in a.rows()] != [r.raw for r in b.rows()]
    assert a.source().digest != b.source().digest


def test_every_generated_bar_passes_validation() -> None:
    parser = BarParser(
        Venue("synthetic"),
        Symbol("MEME/USD"),
        market_stream_id(Venue("synthetic"), Symbol("MEME/USD"), "bar"),
    )
    for version, row in enumerate(SyntheticMarket(bars=20_000, seed=3).rows(), 1):
        parser.parse(row.fields, version)


def test_the_market_has_pumps_dumps_and_calm() -> None:
    closes = [Decimal(r.fields[4]) for r in SyntheticMarket(bars=100_000, seed=7).rows()]
    hourly = [closes[i + 60] / closes[i] - 1 for i in range(0, len(closes) - 60, 60)]
    assert max(hourly) > Decimal("0.15"), "expected at least one pump (+15% in an hour)"
    assert min(hourly) < Decimal("-0.15"), "expected at least one dump (-15% in an hour)"
    calm = sorted(abs(h) for h in hourly)[len(hourly) // 2]
    assert calm < Decimal("0.02"), "most hours should be calm"
