"""The playground's web server: the page, a small JSON API, and server-sent events.

Why the standard library (``http.server.ThreadingHTTPServer``) and not Starlette with
uvicorn or a websocket library: the playground serves one person's few tabs on this
machine, so the server needs a few static files, a handful of POST requests (a setting
changed, start, pause, step, reset, a CSV upload) and one stream of updates per tab from
the server to the page. Server-sent events (``text/event-stream``) are exactly that
stream, are plain HTTP, and the browser's ``EventSource`` reconnects by itself. The
training is numpy on threads, so a thread per connection fits it better than an asyncio
loop would (no bridging of training threads into async code). Nothing to install, and
nothing a future release of a web framework can break.

Routes (``ID``: a session's id, one per tab)::

    GET  /  /static/FILE  /favicon.ico          the page (nothing is loaded from outside)
    POST /api/sessions                          {settings...} (optional: those of the
                                                page's URL) -> {"id", "settings",
                                                "choices", "fields": errors}
    GET  /api/sessions/ID                       its state
    GET  /api/sessions/ID/events                server-sent events: setup, frame, graph,
                                                capacity
    POST /api/sessions/ID/settings              {"lr": "0.1", ...} -> 200, or 400 + an
                                                error per bad field (the good ones apply)
    POST /api/sessions/ID/csv?name=FILE         the CSV's text -> 200, or 400 + the error
    POST /api/sessions/ID/{start,pause,step,reset,close}
    POST /api/sessions/ID/permute               swap two first-layer units -> {"message"}
    POST /api/sessions/ID/capacity              {"sweep": "units", "epochs": 50}: start
                                                the bias-variance sweep (capacity events)
    POST /api/sessions/ID/compare               Newton versus gradient descent -> result
    POST /api/sessions/ID/view                  {"expanded": true|false}

Requests a page on another site sends (its ``Origin`` header names that site) get 403,
as do requests for a host name other than a loopback one while serving on loopback
(DNS rebinding). A client that hangs up mid-request, or sends what no parser reads,
gets no traceback printed: only real bugs print one.

A session whose last event stream ends (the tab was closed) stops training at once
(the socket is watched, so this does not wait for the next write); it is forgotten
30 s later unless a page reconnects.
"""
from __future__ import annotations

import ipaddress
import json
import secrets
import select
import socket
import sys
import threading
import time
import traceback
from dataclasses import replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..data import DataError
from ..nn import ACTIVATIONS
from .lessons import SWEEP_EPOCHS, SWEEPS
from .session import Session
from .settings import DATASETS, DECAYS, FEATURES, SPEEDS, Settings, read_form

STATIC = {"index.html": "text/html; charset=utf-8",
          "playground.js": "text/javascript; charset=utf-8",
          "pictures.js": "text/javascript; charset=utf-8",
          "graph.js": "text/javascript; charset=utf-8",
          "network.js": "text/javascript; charset=utf-8",
          "lessons.js": "text/javascript; charset=utf-8",
          "playground.css": "text/css; charset=utf-8",
          "favicon.svg": "image/svg+xml"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'")
MAX_SESSIONS = 32
FORGET_SECONDS = 30.0     # a session without an open page is forgotten after this
MAX_CSV_BYTES = 20_000_000
MAX_JSON_BYTES = 65_536
KEEPALIVE_SECONDS = 10.0
ACTIONS = ("start", "pause", "step", "reset", "close")


class ClientError(Exception):
    """A request the server refuses: ``status`` and a message for the page."""

    def __init__(self, status: HTTPStatus, message: str, fields: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.fields = fields or {}


class ClientGone(Exception):
    """The client closed the connection before sending the body it announced."""


class Sessions:
    """The open sessions by id; forgets those whose page went away."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, form: dict | None = None) -> tuple[Session, dict[str, str]]:
        """A new session with the form's good settings (the defaults for the rest), and a
        message per bad field; refused past MAX_SESSIONS."""
        self.forget_stale()
        settings, problems = read_form(form or {})
        if settings.dataset == "csv":  # the file is not in the URL: choose it again
            problems["dataset"] = "data set 'csv': choose the CSV file again"
            settings = replace(settings, dataset=Settings().dataset)
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                raise ClientError(HTTPStatus.SERVICE_UNAVAILABLE,
                                  f"{MAX_SESSIONS} playground tabs are open: close some")
            session = Session(secrets.token_hex(8), settings)
            self._sessions[session.id] = session
            return session, problems

    def get(self, session_id: str) -> Session:
        """The session, or a 404 that tells the page to reload."""
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None or session.closed:
            raise ClientError(HTTPStatus.NOT_FOUND, "this tab's session has ended (the "
                                                    "server restarted or forgot it): reload "
                                                    "the page")
        return session

    def all(self) -> list[Session]:
        """Every session held."""
        with self._lock:
            return list(self._sessions.values())

    def forget_stale(self, older_than: float = FORGET_SECONDS) -> None:
        """Close and drop sessions closed, or without a page for ``older_than`` s."""
        now = time.monotonic()
        with self._lock:
            stale = [s for s in self._sessions.values() if s.closed or (
                s.detached_since is not None and now - s.detached_since > older_than)]
            for session in stale:
                del self._sessions[session.id]
        for session in stale:
            session.close()

    def close_all(self) -> None:
        """Stop every session (the server is shutting down)."""
        for session in self.all():
            session.close()
        self.forget_stale()


class PlaygroundServer(ThreadingHTTPServer):
    """The HTTP server with its sessions. ``url`` is where a browser on this machine
    finds the page. Run with :meth:`serve_forever` (or :meth:`start_in_thread`); stop
    with :meth:`stop`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), Handler)
        self.sessions = Sessions()
        self.closing = threading.Event()
        self._serving = False
        self._janitor = threading.Thread(target=self._forget_stale, daemon=True,
                                         name="playground-janitor")
        self._janitor.start()

    @property
    def url(self) -> str:
        """http://HOST:PORT/ (127.0.0.1 when serving on every interface)."""
        address, port = self.server_address[:2]
        host = address if isinstance(address, str) else address.decode()
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until :meth:`stop` (or Ctrl-C in the calling thread)."""
        self._serving = True
        super().serve_forever(poll_interval)

    def start_in_thread(self) -> threading.Thread:
        """Serve in a daemon thread (tests, the screenshot); returns the thread."""
        thread = threading.Thread(target=self.serve_forever, daemon=True,
                                  name="playground-server")
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop serving, stop every session's training, close the socket."""
        self.closing.set()
        self.sessions.close_all()
        if self._serving:
            self.shutdown()
        self.server_close()

    def _forget_stale(self) -> None:
        while not self.closing.wait(2.0):
            self.sessions.forget_stale()


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1, localhost: addresses other machines cannot reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Handler(BaseHTTPRequestHandler):
    """One request: a static file, an API call, or an event stream."""

    server: PlaygroundServer
    server_version = "autograd-flow-playground"
    timeout = 60.0  # seconds a client may stall mid-request before its connection is dropped

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        """Quiet: a request log is noise in a teaching tool's terminal."""

    def do_GET(self) -> None:  # noqa: N802 (the base class's name)
        """Pages, a session's state, or its event stream."""
        self._dispatch(self._get)

    def do_POST(self) -> None:  # noqa: N802
        """Sessions and their controls."""
        self._dispatch(self._post)

    def _dispatch(self, route: Any) -> None:
        try:
            try:
                self._check_host()
                self._check_origin()
                try:
                    url = urlsplit(self.path)
                except ValueError as error:
                    raise ClientError(HTTPStatus.BAD_REQUEST, f"a malformed request path "
                                                              f"{self.path[:80]!r}: {error}") \
                        from None
                route([p for p in url.path.split("/") if p], parse_qs(url.query))
            except ClientError as error:
                self._json({"error": str(error), "fields": error.fields}, error.status)
            except (OSError, ClientGone):
                raise
            except Exception as error:  # the server keeps serving; the page shows this
                traceback.print_exc(file=sys.stderr)
                self._json({"error": f"internal error ({type(error).__name__}: {error}); "
                                     "the server keeps running: reset or reload the page",
                            "fields": {}}, HTTPStatus.INTERNAL_SERVER_ERROR)
        except (OSError, ClientGone):  # the client went away (mid-body, or before the answer)
            self.close_connection = True

    def _check_host(self) -> None:
        """Served on a loopback address, answer only requests for a loopback name: a web
        page elsewhere cannot then reach the playground by DNS rebinding."""
        address = self.server.server_address[0]
        if not is_loopback(address if isinstance(address, str) else address.decode()):
            return
        header = self.headers.get("Host", "")
        try:
            host = urlsplit(f"//{header}").hostname or ""
        except ValueError:
            raise ClientError(HTTPStatus.BAD_REQUEST, f"the Host header {header[:80]!r} is "
                                                      "not a host name") from None
        if not is_loopback(host):
            raise ClientError(HTTPStatus.FORBIDDEN, f"the playground answers requests for "
                                                    f"127.0.0.1 or localhost, not {host!r}")

    def _check_origin(self) -> None:
        """A request a page sends carries its ``Origin``: answer only the playground's own
        page. Another site's page could otherwise open sessions here (a text/plain POST
        needs no preflight) and lock this machine's own tabs out."""
        origin, own = self.headers.get("Origin"), f"http://{self.headers.get('Host', '')}"
        if origin is not None and origin.lower() != own.lower():
            raise ClientError(HTTPStatus.FORBIDDEN, f"the playground answers only its own "
                                                    f"page, not a page from {origin[:80]!r}")

    def _get(self, parts: list[str], query: dict) -> None:
        if not parts:
            return self._static("index.html")
        if parts == ["favicon.ico"]:
            return self._static("favicon.svg")
        if len(parts) == 2 and parts[0] == "static" and parts[1] in STATIC:
            return self._static(parts[1])
        if len(parts) == 3 and parts[:2] == ["api", "sessions"]:
            return self._json(self.server.sessions.get(parts[2]).state())
        if len(parts) == 4 and parts[:2] == ["api", "sessions"] and parts[3] == "events":
            return self._events(self.server.sessions.get(parts[2]))
        raise ClientError(HTTPStatus.NOT_FOUND, f"no such page: {self.path}")

    def _post(self, parts: list[str], query: dict) -> None:
        if parts == ["api", "sessions"]:
            session, problems = self.server.sessions.create(self._body_json())
            return self._json({**session.state(), "fields": problems, "choices": {
                "dataset": DATASETS, "activation": list(ACTIVATIONS), "decay": DECAYS,
                "speed": SPEEDS, "features": FEATURES, "sweep": SWEEPS,
                "sweep_epochs": SWEEP_EPOCHS}})
        if len(parts) != 4 or parts[:2] != ["api", "sessions"]:
            raise ClientError(HTTPStatus.NOT_FOUND, f"no such API call: {self.path}")
        session, action = self.server.sessions.get(parts[2]), parts[3]
        answer: dict[str, Any] = {}
        if action in ACTIONS:
            getattr(session, action)()
        elif action == "settings":
            problems = session.apply(self._body_json())
            if problems:
                raise ClientError(HTTPStatus.BAD_REQUEST, "; ".join(problems.values()),
                                  problems)
        elif action == "csv":
            name = query.get("name", ["upload.csv"])[0]
            try:
                session.upload_csv(self._body(MAX_CSV_BYTES, "CSV file").decode(
                    "utf-8-sig", errors="strict"), name)
            except UnicodeDecodeError as error:
                raise ClientError(HTTPStatus.BAD_REQUEST, f"{name} is not UTF-8 text "
                                  f"(byte {error.start}): save it as UTF-8 CSV",
                                  {"csv": "not UTF-8"}) from None
            except DataError as error:
                raise ClientError(HTTPStatus.BAD_REQUEST, str(error), {"csv": str(error)}) \
                    from None
        elif action == "permute":
            try:
                answer["message"] = session.permute()
            except ValueError as error:
                raise ClientError(HTTPStatus.BAD_REQUEST, str(error),
                                  {"hidden": str(error)}) from None
        elif action == "capacity":
            request = self._body_json()
            try:
                session.capacity(str(request.get("sweep")), int(request.get("epochs", 50)))
            except ValueError as error:
                raise ClientError(HTTPStatus.BAD_REQUEST, str(error)) from None
        elif action == "compare":
            return self._json(session.compare())
        elif action == "view":
            session.show_expanded(bool(self._body_json().get("expanded")))
        else:
            raise ClientError(HTTPStatus.NOT_FOUND, f"no such API call: {self.path}")
        self._json({**session.state(), **answer})

    # -- responses ------------------------------------------------------------------------

    def _headers(self, status: HTTPStatus, content_type: str, length: int | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()

    def _json(self, payload: dict, status: HTTPStatus = HTTPStatus.OK) -> None:
        body = json.dumps(payload).encode()
        self._headers(status, "application/json", len(body))
        self.wfile.write(body)

    def _static(self, name: str) -> None:
        body = resources.files(__package__).joinpath("static").joinpath(name).read_bytes()
        self._headers(HTTPStatus.OK, STATIC[name], len(body))
        self.wfile.write(body)

    def _body(self, limit: int, what: str) -> bytes:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= limit:
            raise ClientError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                              f"the {what} is too large ({length} bytes; at most {limit})",
                              {"csv": "too large"} if what == "CSV file" else {})
        body = self.rfile.read(length)
        if len(body) < length:
            raise ClientGone
        return body

    def _body_json(self) -> dict:
        try:
            payload = json.loads(self._body(MAX_JSON_BYTES, "request") or b"{}")
        except (ValueError, RecursionError):  # RecursionError: nesting too deep for json
            payload = None
        if not isinstance(payload, dict):
            raise ClientError(HTTPStatus.BAD_REQUEST, "the request body must be a JSON "
                                                      "object of settings")
        return payload

    def _events(self, session: Session) -> None:
        """Stream the session's payloads as they change until the page goes away."""
        self._headers(HTTPStatus.OK, "text/event-stream", None)
        session.attach()
        seen: dict[str, int] = {}
        quiet_since = time.monotonic()
        try:
            self.wfile.write(b"retry: 2000\n\n")
            while not self.server.closing.is_set() and not session.closed:
                news = session.news(seen, timeout=0.5)
                for name, payload in news:
                    self.wfile.write(f"event: {name}\ndata: {payload}\n\n".encode())
                if news:
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                    self.wfile.write(b": keep-alive\n\n")
                    quiet_since = time.monotonic()
                if self._client_gone():
                    break
        except OSError:
            pass  # the page went away mid-write
        finally:
            session.detach()
            self.close_connection = True

    def _client_gone(self) -> bool:
        """The page never writes on an event stream, so a readable socket means it
        closed (or reset) the connection."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True
