"""Take the README's screenshot of the playground mid-training:

    python -m autograd_flow.playground.screenshot            # writes docs/playground.png

It serves the playground on a free local port, opens it in headless Chromium (Debian's
``chromium`` and ``chromium-driver``, see :mod:`.browser`), chooses the data set and
network, presses start, waits until the given epoch and a fresh flow graph, clicks a box
of the graph to show its statistics, and saves the whole page as PNG.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .browser import BrowserMissing, chromium, set_control, text, wait_until
from .server import PlaygroundServer


def take(output: Path, dataset: str = "spirals", hidden: str = "8,8", epochs: int = 10,
         width: int = 1400) -> Path:
    """Serve, train to ``epochs`` in headless Chromium and save the page to ``output``."""
    from selenium.webdriver.common.by import By

    server = PlaygroundServer("127.0.0.1", 0)
    server.start_in_thread()
    try:
        with chromium(width, 1000) as driver:
            driver.get(server.url)
            wait_until(lambda: driver.find_element(By.ID, "start").is_enabled(), 30,
                       "the page to get its session")
            for testid, value in (("dataset", dataset), ("hidden", hidden), ("speed", "3")):
                set_control(driver, testid, value)
            wait_until(lambda: text(driver, "epoch") == "0" and "→ " + hidden.replace(
                ",", " → ") in driver.find_element(By.ID, "data-note").text, 30,
                "the new network")
            driver.find_element(By.CSS_SELECTOR, "[data-testid=start]").click()
            wait_until(lambda: int(text(driver, "epoch")) >= epochs, 120, f"epoch {epochs}")
            wait_until(lambda: _graph_epoch(driver) >= epochs - 2, 30, "a fresh flow graph")
            driver.find_element(By.CSS_SELECTOR, "[data-testid=graph] g.node[id=b1]").click()
            drawn = _graph_epoch(driver)
            _fit_window(driver, width)
            wait_until(lambda: _graph_epoch(driver) > drawn, 30, "the graph after resizing")
            _fit_window(driver, width)
            output.parent.mkdir(parents=True, exist_ok=True)
            if not driver.save_screenshot(str(output)):
                raise OSError(f"Chromium could not write {output}")
    finally:
        server.stop()
    return output


def _fit_window(driver: Any, width: int) -> None:
    """Make the viewport as tall as the page, so the screenshot holds all of it."""
    for _ in range(5):
        page, inner = driver.execute_script(
            "return [document.documentElement.scrollHeight, window.innerHeight]")
        if inner >= page:
            return
        driver.set_window_size(width, driver.get_window_size()["height"] + page - inner)


def _graph_epoch(driver: Any) -> int:
    """The epoch in the flow graph's title ("... (epoch 12) ..."), -1 before a drawing."""
    title = driver.execute_script(
        "const t = document.querySelector('[data-testid=graph] svg g.graph > text');"
        "return t ? t.textContent : '';")
    _, _, rest = title.partition("(epoch ")
    return int(rest.split(")")[0]) if rest else -1


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m autograd_flow.playground.screenshot [-o PATH]``."""
    parser = argparse.ArgumentParser(prog="python -m autograd_flow.playground.screenshot",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=Path("docs/playground.png"))
    parser.add_argument("--dataset", default="spirals", help="moons, circles, spirals, xor")
    parser.add_argument("--hidden", default="8,8", help="hidden layer sizes")
    parser.add_argument("--epochs", type=int, default=10, help="train this far first")
    parser.add_argument("--width", type=int, default=1400, help="window width in pixels")
    args = parser.parse_args(argv)
    try:
        path = take(args.output, args.dataset, args.hidden, args.epochs, args.width)
    except (BrowserMissing, TimeoutError, OSError) as error:
        print(f"screenshot: error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
