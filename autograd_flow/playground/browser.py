"""Headless Chromium driven by Selenium, for the playground's browser tests and its
README screenshot, and the few helpers both use to drive the page. Only Debian's
``chromium`` and ``chromium-driver`` packages are used (``/usr/bin/chromium``,
``/usr/bin/chromedriver``): nothing is downloaded, and the flags below keep Chromium
from calling out to the network at all.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import BrowserMissing

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars")


def missing() -> str | None:
    """Why a browser cannot be started here, or None when it can."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return (f"{path} is missing: install Debian's chromium and chromium-driver "
                    f"(as root 'make chromium', or 'sudo apt-get install chromium "
                    f"chromium-driver'; the {package} package provides it)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A headless Chromium (a ``selenium.webdriver.Chrome``) with a fresh profile, quit
    and deleted on leaving the block; its console and network logs are readable with
    ``get_log("browser")`` and ``get_log("performance")``."""
    reason = missing()
    if reason:
        raise BrowserMissing(reason)
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not download
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="playground-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        try:
            yield driver
        finally:
            driver.quit()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``condition`` every 50 ms until it returns something true; raise
    TimeoutError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:g} s for {what}")
        time.sleep(0.05)


def set_control(driver: Any, testid: str, value: str) -> None:
    """Set a control by its data-testid as a person would: choose a select's option,
    tick or untick a checkbox ("1" or "0"), drag a slider to the value, or select a text
    field's text, type the value and press Enter (each sends a change event)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.select import Select

    element = driver.find_element(By.CSS_SELECTOR, f"[data-testid={testid}]")
    kind = element.get_attribute("type")
    if element.tag_name == "select":
        Select(element).select_by_value(value)
    elif kind == "checkbox":
        if element.is_selected() != (value == "1"):
            element.click()
    elif kind == "range":  # a drag ends with the value set, an input and a change event
        driver.execute_script(
            "arguments[0].value = arguments[1];"
            "for (const kind of ['input', 'change'])"
            "  arguments[0].dispatchEvent(new Event(kind, {bubbles: true}));",
            element, value)
    else:
        element.send_keys(Keys.CONTROL, "a")   # select the old text; typing replaces it
        element.send_keys(value, Keys.ENTER)


def text(driver: Any, testid: str) -> str:
    """The text of the element with this data-testid."""
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f"[data-testid={testid}]").text
