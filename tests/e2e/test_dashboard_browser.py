"""The dashboard in headless Chromium: the numbers on the page are the API's, and a screenshot is kept.

Chromium and ChromeDriver come from Debian (``make test`` installs them when
missing). The screenshot is written to ``test-artifacts/dashboard.png`` (or
``$MEMESNIPE_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from application.backtest import BacktestReport
from domain.risk.limits import RiskLimits
from infrastructure.bootstrap import LedgerStore, migrate, open_ledger
from tests.conftest import settings_for
from tests.e2e.api_server import Served, serve
from tests.engine_helpers import bar_rows, config, run
from tests.integration.test_projections import backtest, wave

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("MEMESNIPE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))
CENTS = re.compile(r"^-?\d{1,3}(,\d{3})*\.\d{2}$")


def cents(text: str) -> str:
    """Money as the page should show it: to the cent, half away from zero, thousands separated."""
    return f"{Decimal(text).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,f}"


def as_quantity(text: str) -> str:
    """A quantity as the page should show it: at most 8 decimals, no trailing zeros."""
    shown = f"{Decimal(text).quantize(Decimal('1e-8'), rounding=ROUND_HALF_UP):,f}"
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


def iso_ms(ts: int) -> str:
    """A nanosecond time as JavaScript's toISOString writes it (milliseconds)."""
    ms = ts // 1_000_000
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def every_mark(api: httpx.Client) -> list[dict[str, Any]]:
    """The whole equity curve through the list route, page by page."""
    marks, cursor = [], None
    while True:
        page = api.get("/v1/equity", params={"limit": 1000, **({"cursor": cursor} if cursor else {})}).json()
        marks += page["items"]
        if (cursor := page["next_cursor"]) is None:
            return marks


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        message = "Chromium or ChromeDriver is missing (make test installs: apt chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1100"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def text(driver: webdriver.Chrome, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def long_backtest(store: LedgerStore) -> BacktestReport:
    """``backtest``'s market and risk, 3,000 bars: the crash and halt early, a flat tail after."""
    limits = RiskLimits(max_trade_pct=Decimal(100), max_strategy_exposure_pct=Decimal(100))
    cfg = config(
        params=(("fast", "3"), ("size", "5"), ("slow", "8")),
        cash=Decimal(1000),
        limits=limits,
        fee_bps=Decimal(10),
    )
    return run(store.log, bar_rows(wave(3_000)), cfg)


@contextmanager
def live_dashboard(
    browser: webdriver.Chrome,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    session: Callable[[LedgerStore], BacktestReport] = backtest,
) -> Iterator[tuple[Served, BacktestReport]]:
    """The API over a backtest's store, and the dashboard connected to it with a viewer key."""
    settings = settings_for("sqlite", tmp_path, request)
    migrate(settings)
    with open_ledger(settings) as store:
        report = session(store)
    with serve(settings) as server:
        browser.get(server.url + "/")
        browser.find_element(By.ID, "api-key").send_keys(server.keys["viewer"])
        browser.find_element(By.CSS_SELECTOR, "#key-form button").click()
        WebDriverWait(browser, 20).until(lambda d: text(d, "status") == "live")
        yield server, report


def test_the_dashboard_shows_the_apis_numbers(
    browser: webdriver.Chrome, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with live_dashboard(browser, tmp_path, request) as (server, report), server.client("viewer") as api:
        [last] = api.get("/v1/equity", params={"order": "desc", "limit": 1}).json()["items"]
        assert Decimal(last["equity"]) == report.equity[-1]
        assert text(browser, "equity-last") == cents(last["equity"]) and CENTS.match(
            text(browser, "equity-last")
        )
        assert text(browser, "high-water") == cents(last["high_water"])
        [cash] = api.get("/v1/cash").json()["items"]
        assert text(browser, "cash") == f"{cash['account']}: {cents(cash['cash'])}"
        worst = max(Decimal(p["drawdown_pct"]) for p in every_mark(api))
        assert text(browser, "drawdown-max") == cents(str(worst)) and worst > 5
        [breaker] = api.get("/v1/breakers").json()["items"]
        rows = browser.find_elements(By.CSS_SELECTOR, "#breakers tbody tr")
        assert [r.text.split()[:3] for r in rows] == [
            [breaker["account"], breaker["scope"], breaker["state"]]
        ]
        positions = api.get("/v1/positions").json()["items"]
        shown = [r.text.split() for r in browser.find_elements(By.CSS_SELECTOR, "#positions tbody tr")]
        assert len(shown) == len(positions) > 0
        assert [row[2:] for row in shown] == [
            [
                as_quantity(p["quantity"]),
                as_quantity(p["average_price"]),
                cents(p["realized_pnl"]),
                cents(p["fees"]),
            ]
            for p in positions
        ]
        decisions = browser.find_elements(By.CSS_SELECTOR, "#decisions tbody tr")
        recent = api.get("/v1/orders", params={"order": "desc", "limit": 20}).json()["items"]
        assert [d.text.split()[1] for d in decisions] == [o["status"] for o in recent]
        assert browser.find_elements(By.CSS_SELECTOR, "#equity-chart polygon.band")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000


def test_the_charts_cover_the_whole_session_and_its_worst_marks(
    browser: webdriver.Chrome, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with (
        live_dashboard(browser, tmp_path, request, long_backtest) as (server, report),
        server.client("viewer") as api,
    ):
        marks = every_mark(api)
        first, last = marks[0], marks[-1]
        assert len(marks) == len(report.equity) == 3_000
        equity = browser.find_element(By.ID, "equity-chart")
        drawn = {name: equity.get_attribute(f"data-{name}") for name in ("from", "to", "marks")}
        assert drawn == {"from": iso_ms(first["ts"]), "to": iso_ms(last["ts"]), "marks": "3000"}
        assert equity.get_attribute("data-first-equity") == first["equity"]
        assert equity.get_attribute("data-last-equity") == last["equity"]
        lowest = min(marks, key=lambda m: Decimal(m["equity"]))["equity"]
        highest = max(marks, key=lambda m: Decimal(m["equity"]))["equity"]
        assert (equity.get_attribute("data-min-equity"), equity.get_attribute("data-max-equity")) == (
            lowest,
            highest,
        )
        assert Decimal(highest) > Decimal(last["equity"])  # the peak is not in the flat tail after the halt
        deepest = max(marks, key=lambda m: Decimal(m["drawdown_pct"]))["drawdown_pct"]
        drawdown = browser.find_element(By.ID, "drawdown-chart")
        assert drawdown.get_attribute("data-max-drawdown") == deepest
        assert text(browser, "drawdown-max") == cents(deepest)
        buckets = api.get("/v1/equity/chart").json()["buckets"]
        assert 1 < len(buckets) < len(marks)  # downsampled
        for chart in (equity, drawdown):  # a band per bucket: four corners each
            band = chart.find_element(By.CSS_SELECTOR, "polygon.band").get_attribute("points")
            assert len(band.split()) == 4 * len(buckets)
            labels = [t.text for t in chart.find_elements(By.CSS_SELECTOR, "text.tick.x")]
            assert 2 <= len(labels) <= 7 and all(re.fullmatch(r"(\d\d-\d\d )?\d\d:\d\d", t) for t in labels)
        assert len(equity.find_elements(By.CSS_SELECTOR, "circle.end")) == 2
        browser.save_screenshot(str(ARTIFACTS / "dashboard-long-session.png"))


def test_money_quantities_and_percentages_are_rounded_on_their_exact_text(
    browser: webdriver.Chrome, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for("sqlite", tmp_path, request)
    migrate(settings)
    with serve(settings) as server:
        browser.get(server.url + "/")
        shown = browser.execute_script(
            "return [money('9498.7328807595240000'), money('1234567.995'), money('-0.004'), money('-2.5'),"
            " money('0.005'), money('12'), percent('7.535000'), quantity('5.00000000'),"
            " quantity('0.123456785'), quantity('1234.5'), quantity('0E-8'),"
            " money('1.0000000000000000000000005')]"
        )
    assert shown == [
        "9,498.73",
        "1,234,568.00",
        "0.00",
        "-2.50",
        "0.01",
        "12.00",
        "7.54",
        "5",
        "0.12345679",
        "1,234.5",
        "0E-8",  # not plain decimal text: shown as it came
        "1.00",
    ]


def test_a_second_connect_replaces_the_polling_instead_of_adding_to_it(
    browser: webdriver.Chrome, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with live_dashboard(browser, tmp_path, request):
        browser.execute_script(  # count the page's reads of /v1/cash from now on
            "window.cashReads = 0; const f = window.fetch;"
            "window.fetch = (url, init) => { if (String(url).startsWith('/v1/cash')) window.cashReads++;"
            " return f(url, init); };"
        )
        browser.find_element(By.CSS_SELECTOR, "#key-form button").click()  # connect again, same key
        WebDriverWait(browser, 10).until(lambda d: d.execute_script("return window.cashReads") >= 1)
        time.sleep(10.6)  # two 5 s periods: the new loop polls once or twice (as its start took)
        reads = browser.execute_script("return window.cashReads")
        assert 2 <= reads <= 3, reads  # a first loop left running would add two more polls
