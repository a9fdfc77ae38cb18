"""Serve the playground: a page where a small MLP learns 2-D data (moons, circles,
spirals, xor or your CSV) while you watch its decision regions, hidden units, loss
curves and flow graph, coloured by gradient norm, change several times a second.
Everything runs in this process; the page loads nothing from outside this machine.
Stop it with Ctrl-C."""
from __future__ import annotations

import argparse
import sys
import webbrowser
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..playground.server import PlaygroundServer

DEFAULT_PORT = 8765


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``autograd-flow playground``."""
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; 0.0.0.0 lets other machines reach it "
                             "(with a warning: there is no login)")
    parser.add_argument("--port", type=int, default=None,
                        help=f"port to listen on (default: {DEFAULT_PORT}, or a free port "
                             "when that one is taken; 0: any free port)")
    parser.add_argument("--no-browser", action="store_true",
                        help="only print the URL; do not open a browser")


def run(args: argparse.Namespace) -> int:
    """Run ``autograd-flow playground``; returns the exit status."""
    from ..playground.server import is_loopback

    port = args.port
    if not 0 <= (port or 0) <= 65535:
        raise ValueError(f"--port {port}: give a port from 1 to 65535 (0: any free port)")
    if not is_loopback(args.host):
        print(f"autograd-flow playground: warning: --host {args.host} lets other machines "
              "on your network use this playground (it has no login, runs training in this "
              "process and reads the CSV files sent to it); keep the default 127.0.0.1 "
              "unless you trust that network.", file=sys.stderr, flush=True)
    server = _listen(args.host, port)
    where = "" if server.server_address[0] in ("127.0.0.1", "::1") else \
        f" (listening on {args.host})"
    if port is None and server.server_address[1] != DEFAULT_PORT:
        where += f" (port {DEFAULT_PORT} is taken)"
    print(f"autograd-flow playground: serving on {server.url}{where}; press Ctrl-C to stop",
          flush=True)
    if not args.no_browser:
        try:
            webbrowser.open(server.url)
        except webbrowser.Error:
            print("could not open a browser: open the URL above yourself", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nautograd-flow playground: stopped", flush=True)
    finally:
        server.stop()
    return 0


def _listen(host: str, port: int | None) -> PlaygroundServer:
    """The server on ``port``; the default port falls back to a free one when taken."""
    from ..playground.server import PlaygroundServer

    try:
        return PlaygroundServer(host, DEFAULT_PORT if port is None else port)
    except OSError as error:
        if port is None:
            try:
                return PlaygroundServer(host, 0)
            except OSError:
                pass
        raise ValueError(f"cannot listen on {host}:{DEFAULT_PORT if port is None else port}: "
                         f"{error.strerror or error}; choose another --port (0: any free "
                         "port) or --host") from None
