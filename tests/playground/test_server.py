"""The playground's server over plain HTTP (no browser needed), and its command."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from autograd_flow.playground import server as server_module
from autograd_flow.playground.server import PlaygroundServer, is_loopback

STATIC = Path(server_module.__file__).parent / "static"


@pytest.fixture()
def server():
    srv = PlaygroundServer("127.0.0.1", 0)
    srv.start_in_thread()
    yield srv
    srv.stop()


def request(srv, path, body=None, content_type="application/json", method=None):
    """(status, headers, body bytes) of one request; errors are answers too."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(srv.url.rstrip("/") + path, data=data, method=method or (
        "GET" if body is None else "POST"), headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def call(srv, path, body="{}"):
    status, _, payload = request(srv, path, body)
    return status, json.loads(payload)


def new_session(srv):
    status, state = call(srv, "/api/sessions")
    assert status == 200
    return state["id"]


class EventStream:
    """A raw event-stream connection, as a page holds one."""

    def __init__(self, srv, session_id):
        host, port = srv.server_address[:2]
        self.socket = socket.create_connection((host, port), timeout=30)
        self.socket.sendall(f"GET /api/sessions/{session_id}/events HTTP/1.1\r\n"
                            f"Host: {host}\r\n\r\n".encode())
        self.buffer = b""

    def events(self, timeout=30):
        """Parsed events as they come: (name, payload)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\n\n" in self.buffer:
                block, self.buffer = self.buffer.split(b"\n\n", 1)
                fields = dict(line.split(": ", 1) for line in block.decode().splitlines()
                              if ": " in line and not line.startswith(":"))
                if "event" in fields:
                    yield fields["event"], json.loads(fields["data"])
            chunk = self.socket.recv(1 << 16)
            if not chunk:
                return
            self.buffer += chunk
        raise AssertionError("timed out reading events")

    def close(self):
        self.socket.close()


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_page_and_its_files_are_served_with_a_strict_policy(server):
    status, headers, body = request(server, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    page = body.decode()
    for testid in ("dataset", "hidden", "activation", "lr", "start", "epoch", "loss",
                   "regions", "graph", "curve", "error"):
        assert f'data-testid="{testid}"' in page
    for value in ("moons", "circles", "spirals", "xor"):
        assert f'<option value="{value}">' in page
    for name, kind in (("playground.js", "text/javascript"), ("pictures.js", "text/javascript"),
                       ("graph.js", "text/javascript"), ("playground.css", "text/css"),
                       ("favicon.svg", "image/svg+xml")):
        status, headers, _ = request(server, f"/static/{name}")
        assert status == 200 and headers["Content-Type"].startswith(kind)
    assert request(server, "/favicon.ico")[0] == 200
    for path in ("/static/../server.py", "/static/secret", "/nothing"):
        assert request(server, path)[0] == 404


def test_the_static_files_reference_nothing_outside_the_server():
    for path in STATIC.iterdir():
        text = path.read_text()
        links = re.findall(r"""\b(?:src|href)=["']([^"']*)["']|url\(\s*["']?([^"')]*)""", text)
        assert all(link.startswith("/") for pair in links for link in pair if link), links
        if path.name == "index.html":
            assert len(links) >= 4   # the script, the style sheet, the icon, the logo
        # the only absolute URLs are XML namespace names, which are never fetched
        urls = set(re.findall(r"https?://[^\s\"')]+", text))
        assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls


def test_bad_settings_get_an_error_per_field_and_the_server_keeps_serving(server):
    session = new_session(server)
    status, answer = call(server, f"/api/sessions/{session}/settings",
                          json.dumps({"hidden": "-3,abc", "lr": "nan"}))
    assert status == 400
    assert set(answer["fields"]) == {"hidden", "lr"} and "'-3,abc'" in answer["error"]
    for body in ("not json", "[1, 2]"):
        status, answer = call(server, f"/api/sessions/{session}/settings", body)
        assert status == 400 and "JSON object" in answer["error"]
    status, answer = call(server, f"/api/sessions/{session}/settings",
                          json.dumps({"hidden": "3", "dataset": "xor"}))
    assert status == 200 and answer["settings"]["hidden"] == "3"
    assert call(server, "/api/sessions/nope/start")[0] == 404
    assert call(server, f"/api/sessions/{session}/fly")[0] == 404
    assert request(server, "/")[0] == 200


def test_a_bad_csv_gets_its_error_and_a_good_one_is_used(server):
    session = new_session(server)
    status, answer = call(server, f"/api/sessions/{session}/csv?name=mine.csv",
                          "a,b,label\n1,2,x\n3,oops,y\n")
    assert status == 400 and "mine.csv, line 3, column 'b'" in answer["error"]
    status, answer = call(server, f"/api/sessions/{session}/csv?name=latin.csv",
                          b"a,b,label\n1,2,\xe9\n")
    assert status == 400 and "not UTF-8" in answer["error"]
    rows = "\n".join(f"{i % 5},{i % 3},{i % 2}" for i in range(30))
    status, answer = call(server, f"/api/sessions/{session}/csv?name=ok.csv", rows)
    assert status == 200 and answer["settings"]["dataset"] == "csv"
    assert request(server, "/")[0] == 200


def test_a_too_large_upload_is_refused(server, monkeypatch):
    monkeypatch.setattr(server_module, "MAX_CSV_BYTES", 100)
    session = new_session(server)
    status, answer = call(server, f"/api/sessions/{session}/csv", "1,2,3\n" * 50)
    assert status == 413 and "too large" in answer["error"]


def test_events_stream_the_training_frame_after_frame(server):
    session = new_session(server)
    call(server, f"/api/sessions/{session}/settings", json.dumps({"speed": "max"}))
    stream = EventStream(server, session)
    try:
        events = stream.events()
        opening = [next(events) for _ in range(3)]
        assert sorted(name for name, _ in opening) == ["frame", "graph", "setup"]
        untrained = next(payload for name, payload in opening if name == "frame")["evaluation"]
        assert call(server, f"/api/sessions/{session}/start")[1]["running"]
        frames, started = [], time.monotonic()
        for name, payload in events:
            if name == "frame" and payload["running"]:
                frames.append(payload)
            if len(frames) == 8:
                break
        seconds = time.monotonic() - started
        epochs = [frame["epoch"] for frame in frames]
        assert epochs == sorted(epochs) and epochs[-1] > epochs[0]
        # the frames keep coming (a stall would hang here); how many a second is the
        # machine's business, not a test's (the first CI run of a fresh machine is slow)
        assert seconds < 30
        # against the untrained net: at full speed the first frame may already be near the
        # minimum, where SGD's noise moves the loss up or down between frames
        assert frames[-1]["evaluation"]["train_loss"] < untrained["train_loss"]
        graph = next(payload for name, payload in events if name == "graph")
        assert graph["svg"].lstrip().startswith("<?xml") and "class=\"node\"" in graph["svg"]
    finally:
        stream.close()


def test_closing_the_event_stream_stops_the_training(server):
    session = new_session(server)
    stream = EventStream(server, session)
    next(stream.events())
    call(server, f"/api/sessions/{session}/start")
    wait_for(lambda: call(server, f"/api/sessions/{session}", None)[1]["streams"] == 1)
    held = server.sessions.get(session)
    assert held.running
    stream.close()                                  # the tab goes away, without a word
    wait_for(lambda: not held.running, timeout=5)
    epoch = held.trainer.epoch
    assert held.streams == 0 and held.detached_since is not None
    time.sleep(0.3)
    assert held.trainer.epoch == epoch
    server.sessions.forget_stale(older_than=0)
    assert call(server, f"/api/sessions/{session}", None)[0] == 404


def test_the_page_closing_its_session_stops_it_at_once(server):
    session = new_session(server)
    call(server, f"/api/sessions/{session}/start")
    held = server.sessions.get(session)
    assert call(server, f"/api/sessions/{session}/close")[0] == 200
    assert held.closed and not held.running
    assert call(server, f"/api/sessions/{session}/start")[0] == 404


def test_two_sessions_over_http_are_independent(server):
    a, b = new_session(server), new_session(server)
    assert a != b
    call(server, f"/api/sessions/{a}/settings", json.dumps({"lr": "0.3", "speed": "max"}))
    call(server, f"/api/sessions/{a}/start")
    wait_for(lambda: server.sessions.get(a).trainer.epoch >= 2)
    state_b = call(server, f"/api/sessions/{b}", None)[1]
    assert state_b["epoch"] == 0 and not state_b["running"] and state_b["settings"]["lr"] == "0.03"
    call(server, f"/api/sessions/{b}/step")
    assert server.sessions.get(b).trainer.updates == 1
    assert server.sessions.get(a).running
    call(server, f"/api/sessions/{a}/pause")


def test_sessions_are_capped(server, monkeypatch):
    monkeypatch.setattr(server_module, "MAX_SESSIONS", 2)
    new_session(server)
    new_session(server)
    status, answer = call(server, "/api/sessions")
    assert status == 503 and "close some" in answer["error"]


def test_a_loopback_server_refuses_other_host_names(server):
    status, _, body = request(server, "/", method="GET")
    assert status == 200
    req = urllib.request.Request(server.url, headers={"Host": "evil.example:80"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(req, timeout=30)
    assert caught.value.code == 403 and b"not 'evil.example'" in caught.value.read()


def test_a_missing_browser_is_named_with_how_to_install_it(monkeypatch, tmp_path):
    from autograd_flow.playground import browser

    monkeypatch.setattr(browser, "CHROMEDRIVER", tmp_path / "chromedriver")
    reason = browser.missing()
    assert "chromedriver is missing" in reason and "apt-get install chromium" in reason
    with pytest.raises(browser.BrowserMissing, match="chromedriver is missing"):
        with browser.chromium():
            pass


def test_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


# -- the command ------------------------------------------------------------------------

def run_command(*args):
    """Start `autograd-flow playground ...`; return the process and its first line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "autograd_flow.cli", "playground", "--no-browser", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return process, process.stdout.readline()


def test_the_command_prints_its_url_and_serves_the_page():
    process, line = run_command("--port", "0")
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url, timeout=30) as response:
            assert b'data-testid="regions"' in response.read()
        process.send_signal(signal.SIGINT)                 # Ctrl-C
        output, errors = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0 and "stopped" in output and errors == ""


def test_the_command_warns_when_other_machines_can_reach_it():
    process, line = run_command("--host", "0.0.0.0", "--port", "0")
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        assert "listening on 0.0.0.0" in line
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
    assert "warning: --host 0.0.0.0 lets other machines" in errors


def test_the_command_says_when_the_port_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "autograd_flow.cli", "playground",
                                 "--no-browser", "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_page_from_another_origin_is_refused(server):
    """A page elsewhere may POST text/plain here without a preflight: its Origin gets 403
    and opens no session, whatever the route; the playground's own page is answered."""
    own = server.url.rstrip("/")
    for origin in ("http://evil.example", "null", own.replace("127.0.0.1", "localhost"),
                   own + "0"):
        for path, body in (("/api/sessions", "{}"), ("/", None)):
            req = urllib.request.Request(server.url.rstrip("/") + path, method=(
                "GET" if body is None else "POST"), data=body and body.encode(),
                headers={"Origin": origin, "Content-Type": "text/plain"})
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(req, timeout=30)
            assert caught.value.code == 403, origin
            assert b"only its own page" in caught.value.read()
    assert server.sessions.all() == []
    req = urllib.request.Request(server.url + "api/sessions", data=b"{}", method="POST",
                                 headers={"Origin": own, "Content-Type": "text/plain"})
    with urllib.request.urlopen(req, timeout=30) as response:
        assert response.status == 200 and len(server.sessions.all()) == 1


def raw_request(address, data, *, answer=True):
    """Send raw bytes on a new connection; the status line of the answer, if asked for."""
    with socket.create_connection(address, timeout=30) as connection:
        connection.sendall(data)
        if not answer:
            return None
        return connection.makefile("rb").readline().decode()


def test_hostile_requests_get_answers_and_no_traceback():
    """Nested JSON past the parser's recursion limit, a Host header no URL parser reads,
    a path that is not a URL, and clients that hang up mid-body: each gets a 4xx (or
    nothing, having left), the server keeps serving, and nothing reaches stderr."""
    process, line = run_command("--port", "0")
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        address = ("127.0.0.1", int(url.rsplit(":", 1)[1].strip("/")))
        with urllib.request.urlopen(urllib.request.Request(
                url + "api/sessions", data=b"{}", method="POST"), timeout=30) as response:
            session = json.loads(response.read())["id"]
        nested = b"[" * 30_000
        status = raw_request(address, (f"POST /api/sessions/{session}/settings HTTP/1.1\r\n"
                                       f"Host: 127.0.0.1\r\nContent-Length: {len(nested)}"
                                       "\r\n\r\n").encode() + nested)
        assert status.split()[1] == "400", status
        assert raw_request(address, b"GET / HTTP/1.1\r\nHost: [\r\n\r\n").split()[1] == "400"
        assert raw_request(address, b"GET http://[/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                           ).split()[1] == "400"
        for action in ("csv", "settings"):
            raw_request(address, (f"POST /api/sessions/{session}/{action} HTTP/1.1\r\n"
                                  "Host: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n"
                                  "1,2,3\n").encode(), answer=False)
        time.sleep(0.5)
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=30)
    finally:
        process.kill()
    assert errors == ""


def test_a_new_session_takes_the_settings_of_the_pages_url(server):
    status, state = call(server, "/api/sessions", json.dumps(
        {"dataset": "gauss", "hidden": "4,4,4", "lr": "zero", "features": "x1,x1x2",
         "ratio": "40"}))
    assert status == 200 and state["fields"].keys() == {"lr"}
    assert state["settings"]["hidden"] == "4,4,4" and state["settings"]["lr"] == "0.03"
    trainer = server.sessions.get(state["id"]).trainer
    assert trainer.mlp.sizes == (2, 4, 4, 4, 2) and len(trainer.data.y_train) == 240
    status, state = call(server, "/api/sessions", json.dumps({"dataset": "csv"}))
    assert "choose the CSV file again" in state["fields"]["dataset"]
    assert state["settings"]["dataset"] == "spirals"


def test_settings_apply_field_by_field(server):
    session = new_session(server)
    status, answer = call(server, f"/api/sessions/{session}/settings",
                          json.dumps({"hidden": "-3", "lr": "0.2"}))
    assert status == 400 and list(answer["fields"]) == ["hidden"]
    status, state = call(server, f"/api/sessions/{session}", None)
    assert state["settings"]["lr"] == "0.2" and state["settings"]["hidden"] == "8,8"
    status, answer = call(server, f"/api/sessions/{session}/settings",
                          json.dumps({"decay": "power"}))
    assert status == 200 and answer["settings"]["decay_rate"] == "0.6"


def test_permute_capacity_and_compare_over_http(server):
    session = new_session(server)
    status, answer = call(server, f"/api/sessions/{session}/permute")
    assert status == 200 and answer["message"].startswith("Swapped units")
    status, answer = call(server, f"/api/sessions/{session}/capacity",
                          json.dumps({"sweep": "nope"}))
    assert status == 400 and "sweep 'nope'" in answer["error"]
    status, answer = call(server, f"/api/sessions/{session}/capacity",
                          json.dumps({"sweep": "l2", "epochs": 25}))
    assert status == 200
    wait_for(lambda: not server.sessions.get(session).latest("capacity")["running"], 120)
    status, answer = call(server, f"/api/sessions/{session}/compare")
    assert status == 200 and [m["name"].split(" (")[0] for m in answer["methods"]] == [
        "gradient descent", "Newton", "NewtonCG"]
    assert answer["parameters"] == 2 * 4 + 4 + 4 * 3 + 3
    call(server, f"/api/sessions/{session}/settings", json.dumps({"hidden": "0"}))
    status, answer = call(server, f"/api/sessions/{session}/permute")
    assert status == 400 and "at least two" in answer["error"]
