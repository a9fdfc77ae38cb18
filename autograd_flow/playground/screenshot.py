"""Take the README's screenshot of the playground mid-training:

    python -m autograd_flow.playground.screenshot            # writes docs/playground.png

(``make playground-picture`` runs it.) It serves the playground on a free local port,
opens it in headless Chromium (Debian's ``chromium`` and ``chromium-driver``, see
:mod:`.browser`) with the data set and network in the URL, presses start, waits until the
given epoch and a fresh flow graph, clicks a box of the graph to show its statistics, and
saves the whole page as PNG. Beside the picture it records a hash of the page's static
files (``docs/playground.sha256``), so a test can tell when the page changed after the
picture was made.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .browser import BrowserMissing, chromium, text, wait_until
from .server import PlaygroundServer

STATIC_DIR = Path(__file__).parent / "static"


def static_digest() -> str:
    """SHA-256 over the page's static files (names and contents, in name order)."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def digest_path(picture: Path) -> Path:
    """Where the hash of the static files the picture shows is recorded."""
    return picture.with_suffix(".sha256")


def take(output: Path, dataset: str = "spirals", hidden: str = "8,8", epochs: int = 10,
         width: int = 1400) -> Path:
    """Serve, train to ``epochs`` in headless Chromium, save the page to ``output`` and
    the static files' hash beside it."""
    from selenium.webdriver.common.by import By

    digest = static_digest()
    server = PlaygroundServer("127.0.0.1", 0)
    server.start_in_thread()
    try:
        with chromium(width, 1000) as driver:
            driver.get(server.url + "#" + urlencode(
                {"dataset": dataset, "hidden": hidden, "speed": "3"}))
            wait_until(lambda: driver.find_element(By.ID, "start").is_enabled() and
                       driver.find_elements(By.CSS_SELECTOR, "[data-testid=network] canvas"),
                       30, "the page to get its session and draw its network")
            driver.find_element(By.CSS_SELECTOR, "[data-testid=start]").click()
            wait_until(lambda: int(text(driver, "epoch")) >= epochs, 120, f"epoch {epochs}")
            wait_until(lambda: _graph_epoch(driver) >= epochs - 2, 30, "a fresh flow graph")
            wait_until(lambda: _click_box(driver, "b1"), 30, "a click on the box W1")
            drawn = _graph_epoch(driver)
            _fit_window(driver, width)
            wait_until(lambda: _graph_epoch(driver) > drawn, 30, "the graph after resizing")
            _fit_window(driver, width)
            output.parent.mkdir(parents=True, exist_ok=True)
            if not driver.save_screenshot(str(output)):
                raise OSError(f"Chromium could not write {output}")
    finally:
        server.stop()
    digest_path(output).write_text(
        f"{digest}  the static files of autograd_flow/playground that {output.name} shows "
        f"(python -m autograd_flow.playground.screenshot writes both)\n")
    return output


def _click_box(driver: Any, node_id: str) -> bool:
    """Click a box of the flow graph; False when a redrawing replaced it under the click."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        driver.find_element(By.CSS_SELECTOR, f"[data-testid=graph] g.node[id={node_id}]").click()
        return True
    except (NoSuchElementException, StaleElementReferenceException):
        return False


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
    parser.add_argument("--dataset", default="spirals",
                        help="moons, circles, spirals, xor, gauss, plane, bumps")
    parser.add_argument("--hidden", default="8,8", help="hidden layer sizes")
    parser.add_argument("--epochs", type=int, default=10, help="train this far first")
    parser.add_argument("--width", type=int, default=1400, help="window width in pixels")
    args = parser.parse_args(argv)
    try:
        path = take(args.output, args.dataset, args.hidden, args.epochs, args.width)
    except (BrowserMissing, TimeoutError, OSError) as error:
        print(f"screenshot: error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path} and {digest_path(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
