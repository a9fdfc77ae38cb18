"""The playground in a real browser: headless Chromium (Debian's chromium and
chromium-driver) driven by Selenium. Skipped, with the reason, where they are missing;
`make test` installs them when run as root."""
import json
from urllib.parse import urlsplit

import pytest

from autograd_flow.playground.browser import chromium, missing, set_control, text, wait_until
from autograd_flow.playground.server import PlaygroundServer

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(missing() is not None, reason=f"no browser: {missing()}")]

TIMEOUT = 60  # seconds; generous for a loaded 2-core machine, only the failures wait


@pytest.fixture(scope="module")
def server():
    srv = PlaygroundServer("127.0.0.1", 0)
    srv.start_in_thread()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium(1280, 1000) as driver:
        driver.set_page_load_timeout(TIMEOUT)
        yield driver


def by_testid(driver, testid):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f"[data-testid={testid}]")


def open_page(driver, server):
    """Load the page and wait for its session; return the session held by the server."""
    driver.get(server.url)
    wait_until(lambda: by_testid(driver, "start").is_enabled(), TIMEOUT, "the session")
    session_id = driver.execute_script("return document.body.dataset.session")
    return server.sessions.get(session_id)


def regions_picture(driver):
    return driver.execute_script(
        "return document.querySelector('[data-testid=regions]').toDataURL()")


def requested_urls(driver):
    """Every URL the browser asked for since the last call (Chromium's network log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def click_node(driver, node_id):
    """Click a box of the flow graph; False when a redrawing replaced it under the click."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        by_testid(driver, "graph").find_element("css selector", f"g.node[id={node_id}]").click()
        return True
    except StaleElementReferenceException:
        return False


def console_errors(driver):
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE"]


def test_the_page_trains_our_engine_live_and_survives_bad_settings(server, browser, tmp_path):
    driver = browser
    session = open_page(driver, server)
    set_control(driver, "dataset", "moons")
    set_control(driver, "speed", "max")
    wait_until(lambda: session.settings.dataset == "moons" and
               by_testid(driver, "dataset").get_attribute("value") == "moons" and
               "moons" in driver.find_element("id", "python").get_attribute("textContent"),
               TIMEOUT, "the moons data set")
    wait_until(lambda: text(driver, "epoch") == "0" and text(driver, "loss") != "–", TIMEOUT,
               "the first frame")
    first_loss = float(text(driver, "loss"))
    first_picture = regions_picture(driver)

    by_testid(driver, "start").click()
    wait_until(lambda: text(driver, "start") == "Pause", TIMEOUT, "the start button to pause")
    wait_until(lambda: int(text(driver, "epoch")) >= 5, TIMEOUT, "epoch 5")
    wait_until(lambda: float(text(driver, "loss")) < 0.7 * first_loss, TIMEOUT,
               f"the loss to fall below 70% of {first_loss}")
    wait_until(lambda: regions_picture(driver) != first_picture, TIMEOUT,
               "the regions to change")
    assert session.running

    # the flow graph: drawn by Graphviz, coloured, and a click shows a box's statistics
    wait_until(lambda: len(by_testid(driver, "graph").find_elements(
        "css selector", "svg g.node")) >= 10, TIMEOUT, "the flow graph")
    wait_until(lambda: click_node(driver, "b1"), TIMEOUT, "a click on W1")
    info = wait_until(lambda: "gradient norm" in text(driver, "box-info").lower() and
                      text(driver, "box-info"), TIMEOUT, "the box's statistics")
    assert "Parameter 'W1'" in info and "(2, 8)" not in info and "(8, 2) float64: mean" in info
    curves = by_testid(driver, "curve").find_elements("css selector", "polyline")
    assert len(curves) == 4       # loss and error, train and valid
    assert len(by_testid(driver, "units").find_elements("css selector", "canvas")) == 16

    by_testid(driver, "start").click()
    wait_until(lambda: not session.running and text(driver, "start") == "Start", TIMEOUT,
               "the pause")
    assert not by_testid(driver, "error").is_displayed()

    # nothing from outside, and a clean console (the favicon included)
    urls = requested_urls(driver)
    origin = urlsplit(server.url).netloc
    outside = [url for url in urls if urlsplit(url).netloc != origin and
               urlsplit(url).scheme not in ("data", "blob", "chrome")]  # chrome: built in
    assert not outside, outside
    assert any(url.endswith("/static/favicon.svg") for url in urls), urls
    assert any("/events" in url for url in urls)
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(urlsplit(url).netloc == origin for url in resources)
    assert console_errors(driver) == []

    # bad settings: the error is shown, the field marked, the old network kept
    set_control(driver, "hidden", "-3,abc")
    wait_until(lambda: by_testid(driver, "error").is_displayed(), TIMEOUT, "the error")
    assert "hidden layers '-3,abc'" in text(driver, "error")
    assert "invalid" in by_testid(driver, "hidden").get_attribute("class")
    assert session.settings.hidden == (8, 8)
    set_control(driver, "hidden", "5")
    wait_until(lambda: not by_testid(driver, "error").is_displayed(), TIMEOUT,
               "the error to clear")
    assert session.settings.hidden == (5,)
    set_control(driver, "lr", "nan")
    wait_until(lambda: "learning rate 'nan'" in text(driver, "error"), TIMEOUT, "lr's error")
    set_control(driver, "lr", "0.05")
    wait_until(lambda: not by_testid(driver, "error").is_displayed(), TIMEOUT,
               "the error to clear")

    # a divergence pauses the training and says what to do
    for testid, value in (("activation", "linear"), ("hidden", "32,32"), ("lr", "100"),
                          ("momentum", "0.99")):
        set_control(driver, testid, value)
    wait_until(lambda: session.settings.lr == 100 and session.settings.momentum == 0.99,
               TIMEOUT, "the reckless settings")
    by_testid(driver, "start").click()
    wait_until(lambda: "training diverged" in text(driver, "error"), TIMEOUT, "the divergence")
    assert "Lower the learning rate (now 100)" in text(driver, "error")
    assert text(driver, "start") == "Start" and not session.running
    set_control(driver, "lr", "0.05")
    wait_until(lambda: not by_testid(driver, "error").is_displayed(), TIMEOUT,
               "the divergence message to clear")
    by_testid(driver, "reset").click()
    wait_until(lambda: text(driver, "loss") not in ("NaN", "–"), TIMEOUT, "a fresh network")

    # a CSV that does not parse, then one that does
    bad = tmp_path / "broken.csv"
    bad.write_text("a,b,label\n1,2,x\n3,oops,y\n")
    by_testid(driver, "csv").send_keys(str(bad))
    wait_until(lambda: "broken.csv, line 3, column 'b'" in text(driver, "error"), TIMEOUT,
               "the CSV's error")
    assert by_testid(driver, "dataset").get_attribute("value") == "moons"
    good = tmp_path / "points.csv"
    good.write_text("u,v,label\n" + "".join(f"{i % 7},{(i * 3) % 5},{'pq'[i % 2]}\n"
                                             for i in range(50)))
    by_testid(driver, "csv").send_keys(str(good))
    wait_until(lambda: by_testid(driver, "dataset").get_attribute("value") == "csv" and
               not by_testid(driver, "error").is_displayed(), TIMEOUT, "the CSV data set")
    assert session.trainer.data.classes == ["p", "q"]

    # the server survived all that: the page still trains
    epoch = session.trainer.epoch
    by_testid(driver, "start").click()
    wait_until(lambda: int(text(driver, "epoch")) > epoch + 2, TIMEOUT, "training again")
    by_testid(driver, "start").click()
    # the only console messages since: the refused requests' "400 (Bad Request)"
    unexpected = [m for m in console_errors(driver) if "400 (Bad Request)" not in m]
    assert unexpected == []


def test_each_tab_has_its_own_session_and_closing_one_stops_it(server, browser):
    driver = browser
    first = open_page(driver, server)
    first_tab = driver.current_window_handle
    by_testid(driver, "start").click()
    driver.switch_to.new_window("tab")
    second = open_page(driver, server)
    assert second is not first and second.trainer is not first.trainer
    by_testid(driver, "step").click()
    wait_until(lambda: text(driver, "epoch") == "0" and second.trainer.updates == 1, TIMEOUT,
               "one step in the second tab")
    by_testid(driver, "start").click()
    wait_until(lambda: second.running and first.running, TIMEOUT, "both tabs training")

    driver.close()                       # close the second tab
    driver.switch_to.window(first_tab)
    wait_until(lambda: not second.running, 10, "the closed tab's training to stop")
    stopped_at = second.trainer.updates
    epoch = first.trainer.epoch
    wait_until(lambda: first.trainer.epoch > epoch + 2, TIMEOUT, "the open tab to go on")
    assert first.running and second.trainer.updates == stopped_at
    by_testid(driver, "start").click()
    wait_until(lambda: not first.running, TIMEOUT, "the pause")
