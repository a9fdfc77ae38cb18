"""The playground in a real browser: headless Chromium (Debian's chromium and
chromium-driver) driven by Selenium. Skipped, with the reason, where they are missing;
`make test` installs them when run as root."""
import base64
import io
import json
import time
from urllib.parse import quote, urlsplit

import numpy as np
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


def open_page(driver, server, address=None):
    """Load the page (``address``: this URL; False: the one loaded) and wait for its
    session; return the session held by the server."""
    if address is not False:
        driver.get("about:blank")   # a new document even if only the URL's fragment differs
        driver.get(address or server.url)
    wait_until(lambda: by_testid(driver, "start").is_enabled(), TIMEOUT, "the session")
    session_id = driver.execute_script("return document.body.dataset.session")
    return server.sessions.get(session_id)


def regions_picture(driver):
    return driver.execute_script(
        "return document.querySelector('[data-testid=regions]').toDataURL()")


def same_picture(a: str, b: str, share: float = 0.005) -> bool:
    """Two canvas data URLs show the same picture: at most ``share`` of their pixels
    differ (a permuted network sums its units in another order, so a pixel exactly on a
    decision boundary may fall on the other side)."""
    from PIL import Image  # (matplotlib's dependency: the learn extra)

    def pixels(url: str) -> np.ndarray:
        data = base64.b64decode(url.split(",", 1)[1])
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))

    first, second = pixels(a), pixels(b)
    if first.shape != second.shape:
        return False
    differ = np.any(first != second, axis=-1)
    return bool(differ.mean() <= share)


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
    assert len(curves) == 5       # loss (train, valid, chance) and error (train, valid)
    network = by_testid(driver, "network")
    assert len(network.find_elements("css selector", ".hidden canvas")) == 16
    assert len(network.find_elements("css selector", "svg.wires line")) == 2 * 8 + 8 * 8 + 8 * 2
    colours, widths = zip(*[(line.get_attribute("stroke"), float(line.get_attribute(
        "stroke-width"))) for line in network.find_elements("css selector", "svg.wires line")])
    assert len(set(colours)) == 2 and max(widths) > 3 * min(widths)  # sign, and size

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

    # steps too large: the loss climbs above its start and the warning says what to try
    set_control(driver, "lr", "100")
    by_testid(driver, "start").click()
    wait_until(lambda: by_testid(driver, "warning").is_displayed(), TIMEOUT, "the warning")
    assert "above its starting value" in text(driver, "warning")
    assert "lower the learning rate (now 100)" in text(driver, "warning")
    by_testid(driver, "start").click()
    wait_until(lambda: not session.running, TIMEOUT, "the pause")
    set_control(driver, "lr", "0.05")
    by_testid(driver, "reset").click()
    wait_until(lambda: not by_testid(driver, "warning").is_displayed(), TIMEOUT,
               "the warning to go with the reset")

    # the decay trap: power gets a rate that suits it; a bad rate blocks no other field
    set_control(driver, "decay", "power")
    wait_until(lambda: session.settings.decay == "power" and
               by_testid(driver, "decay_rate").get_attribute("value") == "0.6", TIMEOUT,
               "the power decay with its rate")
    assert not by_testid(driver, "error").is_displayed()
    set_control(driver, "decay_rate", "0.2")
    wait_until(lambda: "0.5 < delta <= 1" in text(driver, "error"), TIMEOUT, "the rate's error")
    set_control(driver, "l2", "0.002")
    wait_until(lambda: session.settings.l2 == 0.002, TIMEOUT, "L2 applied despite the bad rate")
    assert "invalid" in by_testid(driver, "decay_rate").get_attribute("class")
    assert by_testid(driver, "decay_rate").get_attribute("value") == "0.2"  # kept for fixing
    set_control(driver, "decay_rate", "0.9")
    wait_until(lambda: not by_testid(driver, "error").is_displayed() and
               session.settings.decay_rate == 0.9, TIMEOUT, "the rate fixed")
    set_control(driver, "decay", "none")

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
    numeric = tmp_path / "text_in_the_middle.csv"   # the page's rule, no command-line flag
    numeric.write_text("a,label,b\n" + "1,x,2\n" * 20)
    by_testid(driver, "csv").send_keys(str(numeric))
    wait_until(lambda: "label from the last column" in text(driver, "error"), TIMEOUT,
               "the CSV rule's error")
    assert "--" not in text(driver, "error")
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


def settled(driver, session, **settings):
    """Wait until the session holds these settings (as the form writes them) and the page
    drew them (its URL holds them too)."""
    def done():
        form = session.settings.form()
        url = driver.execute_script("return location.hash")
        return all(form[name] == value and f"{name}={quote(value, safe='')}" in url
                   for name, value in settings.items())
    wait_until(done, TIMEOUT, f"the settings {settings}")


def test_every_new_control_and_the_url_round_trip(server, browser):
    driver = browser
    session = open_page(driver, server)
    # data: a Gaussian set, half the points training (stated at once), noise
    set_control(driver, "dataset", "gauss")
    set_control(driver, "ratio", "50")
    set_control(driver, "noise", "0.3")
    settled(driver, session, dataset="gauss", ratio="50", noise="0.3")
    wait_until(lambda: text(driver, "counts") == "300 training and 300 validation points",
               TIMEOUT, "the counts")
    # features: x1·x2 ticked: three inputs in the diagram and the network
    set_control(driver, "feature-x1x2", "1")
    settled(driver, session, features="x1,x2,x1x2")
    network = by_testid(driver, "network")
    wait_until(lambda: len(network.find_elements("css selector", ".inputs canvas")) == 3,
               TIMEOUT, "three inputs drawn")
    assert session.trainer.mlp.sizes[0] == 3
    # + and - for layers and units
    by_testid(driver, "layers-plus").click()
    settled(driver, session, hidden="8,8,8")
    by_testid(driver, "units-plus-1").click()
    settled(driver, session, hidden="9,8,8")
    by_testid(driver, "units-minus-3").click()
    settled(driver, session, hidden="9,8,7")
    by_testid(driver, "layers-minus").click()
    settled(driver, session, hidden="9,8")
    wait_until(lambda: len(by_testid(driver, "network").find_elements(
        "css selector", ".hidden canvas")) == 17, TIMEOUT, "the diagram's 9 + 8 units")
    # the rest of the settings, and the page's own options
    for testid, value in (("activation", "relu"), ("lr", "0.02"), ("momentum", "0.5"),
                          ("l1", "0.0001"), ("batch_size", "20"), ("seed", "3"),
                          ("speed", "10"), ("decay", "inverse")):
        set_control(driver, testid, value)
    settled(driver, session, activation="relu", lr="0.02", momentum="0.5", l1="0.0001",
            batch_size="20", seed="3", speed="10", decay="inverse")
    picture = regions_picture(driver)
    set_control(driver, "discretize", "1")
    wait_until(lambda: regions_picture(driver) != picture, TIMEOUT, "discretized regions")
    set_control(driver, "expand", "1")
    wait_until(lambda: "expand=1" in driver.execute_script("return location.hash") and
               session.expanded, TIMEOUT, "the expanded graph")
    expected = session.settings
    url = driver.current_url

    # reload: a new session with every setting, the form and options as they were
    driver.refresh()
    restored = open_page(driver, server, False)
    assert restored is not session and restored.settings == expected and restored.expanded
    assert by_testid(driver, "discretize").is_selected()
    assert by_testid(driver, "feature-x1x2").is_selected()
    for testid, value in (("dataset", "gauss"), ("ratio", "50"), ("hidden", "9,8"),
                          ("lr", "0.02"), ("decay", "inverse"), ("activation", "relu")):
        assert by_testid(driver, testid).get_attribute("value") == value, testid
    # and in another tab, from the link alone
    first_tab = driver.current_window_handle
    driver.switch_to.new_window("tab")
    other = open_page(driver, server, url)
    assert other is not restored and other.settings == expected
    driver.close()
    driver.switch_to.window(first_tab)
    # regression: a number per point, its own names for the numbers
    set_control(driver, "dataset", "bumps")
    settled(driver, session=restored, dataset="bumps")
    wait_until(lambda: driver.find_element("id", "valid-error-name").text == "MSE (valid)",
               TIMEOUT, "the regression's numbers")
    assert restored.trainer.data.task == "regression"
    assert console_errors(driver) == []


@pytest.mark.parametrize("width, height", [(1024, 768), (1400, 1000)])
def test_no_horizontal_scroll_with_three_hidden_layers_of_16(server, browser, width, height):
    driver = browser
    driver.set_window_size(width, height)
    try:
        open_page(driver, server, server.url + "#hidden=16,16,16")
        network = by_testid(driver, "network")
        wait_until(lambda: len(network.find_elements("css selector", ".hidden canvas")) == 48,
                   TIMEOUT, "48 hidden units drawn")
        page_width, view_width = driver.execute_script(
            "return [document.documentElement.scrollWidth, "
            "document.documentElement.clientWidth]")
        assert page_width <= view_width == width
        # every card and every unit of the diagram is inside the window and its card
        right_edges = driver.execute_script(
            "return [...document.querySelectorAll('.card, .controls, header')]"
            ".map(e => e.getBoundingClientRect().right)")
        assert max(right_edges) <= width
        box = network.rect
        for canvas in network.find_elements("css selector", "canvas"):
            assert box["x"] <= canvas.rect["x"] and \
                canvas.rect["x"] + canvas.rect["width"] <= box["x"] + box["width"]
        if width >= 1200:   # a wide window shows the flow graph above the fold
            wait_until(lambda: by_testid(driver, "graph").find_elements(
                "css selector", "g.node"), TIMEOUT, "the flow graph")
            assert by_testid(driver, "graph").rect["y"] < height - 200
    finally:
        driver.set_window_size(1280, 1000)


def test_permuting_two_units_keeps_the_loss_and_the_regions(server, browser):
    driver = browser
    session = open_page(driver, server)
    set_control(driver, "speed", "max")
    by_testid(driver, "start").click()
    wait_until(lambda: session.trainer.epoch >= 3, TIMEOUT, "some training")
    by_testid(driver, "start").click()
    wait_until(lambda: not session.running and text(driver, "start") == "Start", TIMEOUT,
               "the pause")
    last_frame(driver, session)
    loss, picture = text(driver, "loss"), regions_picture(driver)
    units = units_pictures(driver)
    weights = lines(driver)
    by_testid(driver, "permute").click()
    wait_until(lambda: text(driver, "permute-note").startswith("Swapped units"), TIMEOUT,
               "the permutation")
    wait_until(lambda: units_pictures(driver) != units, TIMEOUT, "the units moved")
    note = text(driver, "permute-note")
    assert "the training loss was" in note and "not identifiable" in note
    assert text(driver, "loss") == loss and same_picture(regions_picture(driver), picture)
    assert lines(driver) != weights and sorted(lines(driver)) == sorted(weights)
    assert sorted(units_pictures(driver)) == sorted(units)


def last_frame(driver, session):
    """Wait until the page drew the paused session's last update (then a moment more, for
    its pictures)."""
    wait_until(lambda: driver.find_element("id", "updates").text ==
               str(session.trainer.updates), TIMEOUT,
               "the last frame")
    time.sleep(0.2)


def units_pictures(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=network] .hidden canvas')]"
        ".slice(0, 8).map(c => c.toDataURL())")


def lines(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=network] svg.wires line')]"
        ".map(l => l.getAttribute('stroke') + l.getAttribute('stroke-width'))")


def test_the_capacity_view_newton_and_one_step_played(server, browser):
    driver = browser
    session = open_page(driver, server, server.url + "#sweep_epochs=25")
    driver.find_element("css selector", "[data-testid=capacity] summary").click()
    chart = by_testid(driver, "capacity-chart")
    wait_until(lambda: session.latest("capacity")["rows"] and len(
        session.latest("capacity")["rows"]) == 6 and "6 networks trained" in
        text(driver, "capacity-text"), 120, "the capacity sweep")
    assert len(chart.find_elements("css selector", "polyline")) == 2
    words = text(driver, "capacity-text")
    assert "training error" in words and "validation error" in words
    assert "training error" in chart.text and "validation error" in chart.text

    driver.find_element("css selector", "[data-testid=newton] summary").click()
    wait_until(lambda: "NewtonCG: loss" in text(driver, "newton-text"), 120, "Newton vs GD")
    assert len(by_testid(driver, "newton-chart").find_elements("css selector", "polyline")) == 3
    assert len(driver.find_elements("css selector", "#newton-regions canvas")) == 3

    wait_until(lambda: by_testid(driver, "graph").find_elements("css selector", "g.node"),
               TIMEOUT, "the flow graph")
    driver.execute_script(  # every status the page shows, in order
        "document.querySelector('[data-testid=play]').dataset.delay = 15;"
        "const status = document.querySelector('[data-testid=play-status]');"
        "window.statuses = [];"
        "new MutationObserver(() => window.statuses.push(status.textContent))"
        "  .observe(status, {childList: true, characterData: true, subtree: true});")
    by_testid(driver, "play").click()
    wait_until(lambda: text(driver, "play-status").startswith("One update played"), TIMEOUT,
               "one step played")
    seen = driver.execute_script("return window.statuses")
    assert session.trainer.updates == 1
    fprop = [s for s in seen if s.startswith("fprop")]
    bprop = [s for s in seen if s.startswith("bprop")]
    assert fprop and bprop and seen.index(fprop[0]) < seen.index(bprop[0])
    assert "Parameter 'W1'" in " ".join(fprop) and "loss" in " ".join(bprop)


def test_a_page_from_another_site_is_refused(server, browser):
    """A page on another origin POSTs text/plain (no preflight) to the playground: 403,
    and no session is opened for it."""
    import http.server
    import threading

    target = server.url + "api/sessions"
    page = (f"<script>fetch({json.dumps(target)}, {{method: 'POST', mode: 'no-cors', "
            "body: '{}', headers: {'Content-Type': 'text/plain'}})"
            ".then(() => document.title = 'sent', () => document.title = 'failed');"
            "</script>").encode()

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        browser.get("about:blank")
        browser.get_log("performance")   # only this page's requests from here on
        before = {s.id for s in server.sessions.all()}  # (an earlier tab's may expire)
        browser.get(f"http://127.0.0.1:{evil.server_address[1]}/")
        wait_until(lambda: browser.title in ("sent", "failed"), TIMEOUT, "the evil request")
        statuses = [json.loads(entry["message"])["message"]["params"]["response"]["status"]
                    for entry in browser.get_log("performance")
                    if json.loads(entry["message"])["message"]["method"] ==
                    "Network.responseReceived" and json.loads(entry["message"])["message"][
                        "params"]["response"]["url"] == target]
        assert statuses == [403]
        assert {s.id for s in server.sessions.all()} <= before  # none opened for it
    finally:
        evil.shutdown()


def test_a_stall_at_chance_is_named_and_the_curves_stay_readable(server, browser):
    """No hidden layer cannot learn xor: the loss stays at the chance level and the
    warning says so and what to try. The curves: epochs and loss on log scales (the
    early learning keeps its room), training and validation lines told apart."""
    driver = browser
    session = open_page(driver, server, server.url + "#dataset=xor&hidden=0&speed=max")
    assert tuple(session.trainer.mlp.sizes) == (2, 2)
    assert not by_testid(driver, "warning").is_displayed()
    by_testid(driver, "start").click()
    warning = wait_until(lambda: by_testid(driver, "warning").is_displayed() and
                         text(driver, "warning"), TIMEOUT, "the stall's warning")
    assert "at the chance level (0.69" in warning and "no better than a guess" in warning
    assert "more hidden units" in warning
    wait_until(lambda: session.trainer.epoch >= 60, TIMEOUT, "60 epochs")
    by_testid(driver, "start").click()
    wait_until(lambda: not session.running, TIMEOUT, "the pause")
    last_frame(driver, session)
    loss_chart = by_testid(driver, "curve").find_element("css selector", "svg")
    assert "log scale" in loss_chart.find_element("css selector", ".title").text
    # the epoch axis: epoch 10 at least a third of the way across 60+ epochs (on a linear
    # axis it would be a sixth)
    left, right, ten = driver.execute_script(
        "const svg = arguments[0], axis = svg.querySelector('line.axis');"
        "const ten = [...svg.querySelectorAll('text')].find(t => t.textContent === '10');"
        "return [+axis.getAttribute('x1'), +axis.getAttribute('x2'), +ten.getAttribute('x')];",
        loss_chart)
    assert (ten - left) / (right - left) > 1 / 3
    styles = driver.execute_script(
        "return ['train', 'valid'].map(c => {"
        "  const s = getComputedStyle(arguments[0].querySelector('polyline.' + c));"
        "  return [s.stroke, s.strokeDasharray]; })", loss_chart)
    assert styles[0][0] != styles[1][0] and styles[0][1] != styles[1][1]
    ends = [e.text for e in loss_chart.find_elements("css selector", "text.end")]
    assert "train" in ends and "valid" in ends
    assert driver.execute_script(  # the names are filled, not drawn with their line's dashes
        "return [...arguments[0].querySelectorAll('text.end')]"
        ".every(t => getComputedStyle(t).stroke === 'none')", loss_chart)


def test_the_screenshot_command_writes_the_picture_and_the_hash_of_its_files(tmp_path):
    from autograd_flow.playground.screenshot import digest_path, main, static_digest

    picture = tmp_path / "docs" / "playground.png"
    assert main(["-o", str(picture), "--epochs", "2", "--hidden", "4"]) == 0
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert digest_path(picture).read_text().split()[0] == static_digest()
