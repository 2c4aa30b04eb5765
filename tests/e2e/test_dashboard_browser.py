"""The dashboard in a real headless Chromium while orders flow: numbers move and agree with the API."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from consumers.query_api.routes.stats import TOP_SKUS
from infra.services import SERVICES
from tests.e2e.conftest import System
from tests.e2e.shop import Shop

ARTIFACTS = Path(".local/test-artifacts")
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    """Headless Debian Chromium driven by chromedriver (installed by ``make browser``)."""
    if not (CHROMIUM and DRIVER):
        pytest.skip("chromium and chromedriver are not installed (make browser installs them with apt)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def text(driver: WebDriver, element_id: str) -> str:
    """The visible text of an element of the page."""
    return str(driver.find_element(By.ID, element_id).text)


def wait_until(condition: Callable[[], bool], timeout_s: float = 30) -> None:
    """Poll ``condition()`` until true (fails after ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"condition not met in {timeout_s}s")


async def place_orders(system: System) -> str:
    """Three orders that validate and one that fails; returns the failing one's id."""
    async with (
        httpx.AsyncClient(base_url=system.ingest, timeout=30) as ingest,
        httpx.AsyncClient(base_url=system.query, timeout=70) as query,
    ):
        shop = Shop(ingest, query)
        customer, sku = await shop.customer(), await shop.stock(3)
        placed = [await shop.order(customer, (sku, 1, 250)) for _ in range(3)]
        failed = await shop.order(customer, (sku, 9, 250))
        for order_id in placed:
            await shop.wait(order_id, "VALIDATED")
        await shop.wait(failed, "FAILED")
        return failed


def test_dashboard_updates_live_and_agrees_with_the_api(browser: WebDriver, system: System) -> None:
    browser.get(f"{system.query}/")
    wait_until(lambda: text(browser, "status") == "live")
    assert browser.execute_script("return typeof Chart") == "function"
    before = int(text(browser, "count-TOTAL"))
    failed = asyncio.run(place_orders(system))

    def agrees() -> bool:
        api_total = int(httpx.get(f"{system.query}/v1/stats/orders").json()["total"])
        return api_total >= before + 4 and text(browser, "count-TOTAL") == str(api_total)

    def failed_agree() -> bool:
        # read afresh on each poll: the failure is counted a hop (analytics) after the order failed
        api_failed = httpx.get(f"{system.query}/v1/stats/orders").json()["counts"]["FAILED"]
        return api_failed >= 1 and text(browser, "count-FAILED") == str(api_failed)

    wait_until(agrees)
    wait_until(failed_agree)
    wait_until(lambda: failed in text(browser, "failures"))

    # a fresh page lists failures from the read model at once, not only those the stream brings later
    browser.get(f"{system.query}/")
    wait_until(lambda: failed in text(browser, "failures"), timeout_s=10)
    rows = browser.find_elements(By.CSS_SELECTOR, "#failures tbody tr")
    ids = [r.find_element(By.CSS_SELECTOR, "td").text for r in rows]
    assert len(ids) == len(set(ids)) >= 1  # one row per order, however it arrived
    wait_until(lambda: "EUR" in text(browser, "revenue-total"))  # the Shop's orders are in EUR
    legend = "return Chart.getChart('revenue-per-sku').legend.legendItems.length"
    wait_until(lambda: browser.execute_script(legend) >= 1)
    assert browser.execute_script(legend) <= TOP_SKUS + 1  # top skus plus "other"
    processors = {s.name for s in SERVICES if s.module.startswith("stream_processors.")}

    def lag_lists_processors() -> bool:
        shown = browser.find_elements(By.CSS_SELECTOR, "#lag tbody tr[data-processor]")
        return {r.get_attribute("data-processor") for r in shown} == processors

    wait_until(lag_lists_processors, timeout_s=15)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
