"""The built site in a real headless Chromium (Debian's ``chromium`` + ``chromium-driver``,
driven by selenium; ``.ci/run`` installs them): loads without console errors, shows every model,
sorts on a header click, opens a model page."""

import shutil
import time

import pytest

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
selenium = pytest.importorskip("selenium", reason="selenium is not installed (the 'test' extra)")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage")


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    opts.add_argument("--window-size=1400,1000")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def test_site_in_headless_chromium(tmp_path, rows, records_file, browser):
    from selenium.webdriver.common.by import By

    from synthzoo.leaderboard.site import build

    t0 = time.perf_counter()
    site = build([records_file(rows)], tmp_path / "site")
    browser.get((site / "index.html").as_uri())
    assert browser.title == "synthzoo leaderboard"
    errors = [m for m in browser.get_log("browser") if m["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    table = browser.find_element(By.CSS_SELECTOR, 'table.board[data-domain="neuro-mri"]')

    def models():
        return [tr.find_element(By.CSS_SELECTOR, "td").text.lstrip("◆○ ").strip()
                for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")]

    assert models() == ["unet", "narrow-t1", "multi-otsu"]
    shown = {a.text for a in browser.find_elements(By.CSS_SELECTOR, "table.board td a[href^='models/']")}
    assert shown == {r["model"] for r in rows}  # every model of the records
    imgs = browser.find_elements(By.CSS_SELECTOR, "img")
    assert len(imgs) == 2 and all(browser.execute_script("return arguments[0].naturalWidth", i) > 0 for i in imgs)

    ct = table.find_elements(By.CSS_SELECTOR, "thead th")[3]
    assert ct.text == "ct"
    ct.click()  # numbers: best first
    assert models() == ["multi-otsu", "unet", "narrow-t1"] and ct.get_attribute("aria-sort") == "descending"
    ct.click()
    assert models() == ["narrow-t1", "unet", "multi-otsu"] and ct.get_attribute("aria-sort") == "ascending"
    table.find_elements(By.CSS_SELECTOR, "thead th")[0].click()  # names: a-z
    assert models() == ["multi-otsu", "narrow-t1", "unet"]

    browser.find_element(By.LINK_TEXT, "narrow-t1").click()
    assert browser.title == "Model narrow-t1" and browser.current_url.endswith("/models/narrow-t1.html")
    assert "narrow baseline" in browser.find_element(By.TAG_NAME, "body").text
    assert [m for m in browser.get_log("browser") if m["level"] == "SEVERE"] == []
    assert time.perf_counter() - t0 < 60
