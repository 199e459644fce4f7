"""The dashboard in headless Chromium: the numbers on the page are the API's, and a screenshot is kept.

Chromium and ChromeDriver come from Debian (``make test`` installs them when
missing). The screenshot is written to ``test-artifacts/dashboard.png`` (or
``$MEMESNIPE_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from application.backtest import BacktestReport
from infrastructure.bootstrap import migrate, open_ledger
from tests.conftest import settings_for
from tests.e2e.api_server import Served, serve
from tests.integration.test_projections import backtest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("MEMESNIPE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))


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


@contextmanager
def live_dashboard(
    browser: webdriver.Chrome, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Served, BacktestReport]]:
    """The API over a backtest's store, and the dashboard connected to it with a viewer key."""
    settings = settings_for("sqlite", tmp_path, request)
    migrate(settings)
    with open_ledger(settings) as store:
        report = backtest(store)
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
        assert Decimal(text(browser, "equity-last")) == Decimal(last["equity"]) == report.equity[-1]
        assert Decimal(text(browser, "high-water")) == Decimal(last["high_water"])
        curve = api.get("/v1/equity", params={"limit": 1000}).json()["items"]
        worst = max(Decimal(p["drawdown_pct"]) for p in curve)
        assert Decimal(text(browser, "drawdown-max")) == worst > 5
        [breaker] = api.get("/v1/breakers").json()["items"]
        rows = browser.find_elements(By.CSS_SELECTOR, "#breakers tbody tr")
        assert [r.text.split()[:3] for r in rows] == [
            [breaker["account"], breaker["scope"], breaker["state"]]
        ]
        positions = api.get("/v1/positions").json()["items"]
        assert len(browser.find_elements(By.CSS_SELECTOR, "#positions tbody tr")) == len(positions) > 0
        decisions = browser.find_elements(By.CSS_SELECTOR, "#decisions tbody tr")
        recent = api.get("/v1/orders", params={"order": "desc", "limit": 20}).json()["items"]
        assert [d.text.split()[1] for d in decisions] == [o["status"] for o in recent]
        assert browser.find_elements(By.CSS_SELECTOR, "#equity-chart polyline")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000


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
