"""The Datasette plugin as a person sees it: `datasette serve` on a store built from the example
data, opened in headless Chromium (Debian's `chromium` and `chromium-driver`) through selenium.
Opens the store's page, a cohort's members and a canned query; asserts the titles,
descriptions and rows shown; saves a screenshot of each to target/screenshots/.

Required under CI=true (.ci/run installs Chromium); otherwise skipped, in one line, when
Chromium or its driver is missing."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator, Tuple

import pytest

import cohortdb
from conftest import REPO

SCREENSHOTS = REPO / "target" / "screenshots"
VIEWS_JSON = Path(cohortdb.__file__).parent / "browse" / "views.json"
# Far longer than starting Datasette or loading a page needs; past it the test fails.
DEADLINE = 60


def _chromium() -> Tuple[str, str]:
    browser = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    missing = "chromium" if not browser else "chromedriver"
    message = f"no {missing}: the browser test needs apt-get install -y chromium chromium-driver"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (required under CI=true)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(two_cohorts: Path) -> Iterator[str]:
    """`datasette serve` on the two-cohort store; yields its base URL."""
    port = _free_port()
    datasette = Path(sys.executable).parent / "datasette"
    proc = subprocess.Popen(
        [str(datasette), "serve", str(two_cohorts), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=5) as r:
                    json.load(r)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() - started > DEADLINE:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    pytest.fail(f"datasette serve did not answer: {err[-2000:]}")
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=DEADLINE)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    chromium, driver_path = _chromium()
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(DEADLINE)
    try:
        yield driver
    finally:
        driver.quit()


def _open(driver: object, url: str, shot: str) -> str:
    """Loads `url`, saves a screenshot as target/screenshots/<shot>.png, returns the page's
    visible text."""
    from selenium.webdriver.common.by import By

    driver.get(url)  # type: ignore[attr-defined]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOTS / f"{shot}.png"))  # type: ignore[attr-defined]
    return str(driver.find_element(By.TAG_NAME, "body").text)  # type: ignore[attr-defined]


def test_a_person_browses_the_store(served: str, browser: object, two_cohorts: Path) -> None:
    docs = json.loads(VIEWS_JSON.read_text())
    store = cohortdb.Store(two_cohorts)

    # The store's page: its title and description; the views, not the internal tables.
    text = _open(browser, f"{served}/cohorts", "1-store")
    assert "cohortdb store" in text
    assert "The internal tables are hidden" in text
    for view in ("membership", "cohorts", "templates"):
        assert view in text
    assert "cohort_members" not in text
    assert "hidden table" in text
    for query in docs["queries"].values():
        assert query["title"] in text

    # A cohort's members: the view's title and description, the column descriptions, the rows.
    text = _open(browser, f"{served}/cohorts/membership?cohort_id=pilot1", "2-members")
    membership = docs["views"]["membership"]
    assert membership["title"] in text
    assert membership["description"] in text
    assert membership["columns"]["template_id"] in text
    gen_ids = [r["gen_id"] for r in store.query(
        "select gen_id from membership where cohort_id = 'pilot1' order by ordinal limit 3"
    )]
    for gen_id in gen_ids:
        assert gen_id in text
    assert "SQL Interrupted" not in text

    # A canned query with its parameter: the title, the description, the balance rows.
    text = _open(browser, f"{served}/cohorts/cohort_balance?cohort_id=pilot&_hide_sql=1", "3-balance")
    balance = docs["queries"]["cohort_balance"]
    assert balance["title"] in text
    assert balance["description"] in text
    assert "combo_v1_learning_a" in text and "combo_v1_learning_b" in text
    assert "evaluation template_id novelty-v1 16" in " ".join(text.split())
