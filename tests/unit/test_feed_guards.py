from decimal import Decimal

import pytest

from domain.errors import InvalidMarketData
from domain.market.feed_guards import (
    PriceDeviationGuard,
    VolumeSanityGuard,
    check_fresh,
    check_liquidity,
)

MS = 1_000_000


def test_data_older_than_500_ms_at_receipt_is_stale() -> None:
    check_fresh(ts_event=0, ts_recv=500 * MS)
    with pytest.raises(InvalidMarketData) as refused:
        check_fresh(ts_event=0, ts_recv=501 * MS)
    assert refused.value.reason == "stale"
    assert "501.0 ms" in refused.value.message


def test_price_far_from_the_recent_median_is_refused_with_the_numbers() -> None:
    guard = PriceDeviationGuard(band=Decimal("0.05"), window=5)
    for price in ["100", "101", "99", "100"]:
        guard.check(Decimal(price))
    guard.check(Decimal("104"))
    with pytest.raises(InvalidMarketData) as refused:
        guard.check(Decimal("120"))
    assert refused.value.reason == "price_deviation"
    assert "reference 100" in refused.value.message


def test_a_confirmed_level_shift_is_accepted_after_enough_agreeing_prices() -> None:
    guard = PriceDeviationGuard(band=Decimal("0.05"), window=5, confirmations=3)
    guard.check(Decimal("100"))
    for price in ["150", "151"]:
        with pytest.raises(InvalidMarketData):
            guard.check(Decimal(price))
    guard.check(Decimal("150.5"))
    assert guard.reference() == Decimal("150.5")
    guard.check(Decimal("149"))


def test_scattered_outliers_never_re_anchor_the_reference() -> None:
    guard = PriceDeviationGuard(band=Decimal("0.05"), window=5, confirmations=3)
    guard.check(Decimal("100"))
    for price in ["150", "60", "150", "60", "150"]:
        with pytest.raises(InvalidMarketData):
            guard.check(Decimal(price))
    assert guard.reference() == Decimal("100")


def test_volume_far_above_the_recent_median_is_an_outlier() -> None:
    guard = VolumeSanityGuard(max_multiple=Decimal(10), window=10)
    for volume in ["5", "6", "4", "5"]:
        guard.check(Decimal(volume))
    guard.check(Decimal("50"))
    with pytest.raises(InvalidMarketData) as refused:
        guard.check(Decimal("500"))
    assert refused.value.reason == "volume_outlier"
    with pytest.raises(InvalidMarketData):
        guard.check(Decimal("-1"))


@pytest.mark.parametrize(
    ("depth", "volume", "passes"),
    [
        (Decimal(10_000), None, True),
        (None, Decimal(25_000), True),
        (Decimal(9_999), Decimal(9_999), False),
        (None, None, False),
        (Decimal(500), Decimal(10_001), True),
    ],
)
def test_liquidity_floor_of_ten_thousand_dollars(
    depth: Decimal | None, volume: Decimal | None, passes: bool
) -> None:
    if passes:
        check_liquidity(depth, volume)
    else:
        with pytest.raises(InvalidMarketData) as refused:
            check_liquidity(depth, volume)
        assert refused.value.reason == "illiquid"
