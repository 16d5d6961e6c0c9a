"""Hardening and load, tested against the running chat on loopback."""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import REPO
from tests.helpers import ChatURL, beacon_server, running_chat

pytestmark = [pytest.mark.slow]
QUESTIONS = [
    "Who is Cuba's foreign minister?",
    "What did Trump roll back?",
    "How should all disputes be settled, according to Lavrov?",
    "What is the capital of Peru?",
    "Who gave Cuba an economic lifeline during the cold war?",
    "On which day did Diaz-Canel arrive in Moscow?",
    "What did Volodin say Russia understood?",
    "How tall is the Eiffel Tower?",
]


@pytest.fixture(scope="module")
def web_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="module")
def app_url(web_root: Path) -> Iterator[ChatURL]:
    # Its own Gradio cache folder, so the tests can see what is left in it.
    with running_chat(web_root, env={"GRADIO_TEMP_DIR": str(web_root / "gradio-cache")}) as url:
        yield url


def status_of(
    url: str, *, method: str = "GET", headers: dict[str, str] | None = None, data: bytes | None = None
) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        str(REPO / "qa" / "api.py"),
        str(REPO / "pyproject.toml"),
        "/proc/self/environ",
    ],
)
def test_file_routes_never_serve_files_from_disk(app_url: str, path: str) -> None:
    for prefix in ("gradio_api/file=", "file=", "gradio_api/file/"):
        code, _ = status_of(app_url + prefix + path)
        assert code != 200, f"{prefix}{path} returned 200"


def test_url_valued_file_routes_never_fetch_anything(app_url: str) -> None:
    with beacon_server() as (base, hits):
        for route in ("gradio_api/file=", "gradio_api/proxy=", "file=", "proxy="):
            code, _ = status_of(app_url + route + f"{base}/ssrf.png")
            assert code != 200
        time.sleep(0.5)
        assert hits == []


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_foreign_origins_get_no_cors_allowance(app_url: str, origin: str) -> None:
    for path, method in (("config", "GET"), ("gradio_api/info", "GET"), ("gradio_api/queue/join", "OPTIONS")):
        headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
        _, got = status_of(app_url + path, method=method, headers=headers)
        allowed = got.get("access-control-allow-origin")
        assert allowed not in {origin, "*"}, f"{path} allows {origin}"


def test_rest_calls_cannot_bypass_the_queue(app_url: str) -> None:
    body = b'{"data": ["Who is Cuba\'s foreign minister?"]}'
    code, _ = status_of(
        app_url + "gradio_api/run/ask", method="POST", headers={"Content-Type": "application/json"}, data=body
    )
    assert code != 200


def ask_over_http(app_url: str, body: bytes) -> tuple[str, object]:
    """POST ``/gradio_api/call/ask`` as curl would, then read its event: ("complete", answers) or ("error", …)."""
    import json

    request = urllib.request.Request(
        app_url + "gradio_api/call/ask", method="POST", headers={"Content-Type": "application/json"}, data=body
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        event_id = json.load(response)["event_id"]
    with urllib.request.urlopen(app_url + f"gradio_api/call/ask/{event_id}", timeout=60) as response:
        lines = response.read().decode().splitlines()
    event = next(line.split(": ", 1)[1] for line in lines if line.startswith("event: "))
    data = next(line.split(": ", 1)[1] for line in lines if line.startswith("data: "))
    return event, json.loads(data)


def test_raw_http_ask_without_history_is_answered(app_url: str) -> None:
    # Gradio refuses a call short of inputs with a bare {"error": null}; the guard fills in history.
    event, data = ask_over_http(app_url, b'{"data": ["Who is Cuba\'s foreign minister?"]}')
    assert event == "complete" and isinstance(data, list)
    assert "Bruno Rodriguez" in data[0]["quotes"][0]["text"]
    event, data = ask_over_http(app_url, b'{"data": [null]}')
    assert event == "complete" and isinstance(data, list) and "must be text" in data[0]["error"]
    follow_up = b'{"data": ["Where did he meet Putin?", ["Who is Cuba\'s president?"]]}'
    event, data = ask_over_http(app_url, follow_up)
    assert event == "complete" and isinstance(data, list) and data[0]["quotes"]


def test_monitoring_endpoints_are_off(app_url: str) -> None:
    for path in ("monitoring", "gradio_api/monitoring", "gradio_api/monitoring/dashboard"):
        assert status_of(app_url + path)[0] != 200


def test_upload_over_the_limit_is_refused_with_413(app_url: str) -> None:
    body, content_type = multipart("big.txt", b"a" * (6 * 1024 * 1024))
    code, _ = status_of(
        app_url + "gradio_api/upload", method="POST", headers={"Content-Type": content_type}, data=body
    )
    assert code == 413


def test_32_concurrent_questions_match_sequential_answers(app_url: str) -> None:
    from gradio_client import Client

    sequential = {q: Client(app_url, verbose=False).predict(q, api_name="/ask") for q in QUESTIONS}
    clients = [Client(app_url, verbose=False) for _ in range(32)]

    def one(i: int) -> tuple[str, dict[str, object], float]:
        question = QUESTIONS[i % len(QUESTIONS)]
        started = time.perf_counter()
        result = clients[i].predict(question, api_name="/ask")
        return question, result, time.perf_counter() - started

    latencies: list[float] = []
    answered = 0
    deadline = time.monotonic() + 30  # bounded: rounds of 32 until 30 s have passed
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        while time.monotonic() < deadline or answered == 0:
            for question, result, latency in pool.map(one, range(32)):
                assert "error" not in result, result
                assert result["quotes"] == sequential[question]["quotes"]
                assert result["abstained"] == sequential[question]["abstained"]
                latencies.append(latency)
                answered += 1
    elapsed = time.perf_counter() - started
    print(
        f"\n32 concurrent clients: {answered} answers, 0 errors, {answered / elapsed:.1f} answers/s, "
        f"p50 {1000 * np.percentile(latencies, 50):.0f} ms, p95 {1000 * np.percentile(latencies, 95):.0f} ms"
    )


def test_full_queue_says_busy_instead_of_hanging(tmp_path: Path) -> None:
    from gradio_client import Client

    with running_chat(tmp_path / "busy", "--max-queue", "1", "--concurrency", "1") as url:
        client = Client(url, verbose=False)
        jobs = [client.submit("Who is Cuba's foreign minister?", api_name="/ask") for _ in range(16)]
        outcomes = []
        for job in jobs:
            try:
                job.result(timeout=60)
                outcomes.append("ok")
            except Exception as exc:  # gradio_client raises on a full queue
                outcomes.append(str(exc))
        assert "ok" in outcomes
        busy = [o for o in outcomes if o != "ok"]
        assert busy and all("queue is full" in o.lower() or "try again" in o.lower() for o in busy), outcomes


# -- raw HTTP helpers: a chosen source address (127.0.0.x), a forged Host, a body sent piece by piece ----


def http_request(
    url: str,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    source: str = "127.0.0.1",
) -> tuple[int, http.client.HTTPResponse, bytes]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(
        parts.hostname or "", parts.port, timeout=60, source_address=(source, 0)
    )
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response, response.read()
    finally:
        conn.close()


def login(url: str, user: str, password: str, *, source: str = "127.0.0.1") -> tuple[int, float, str]:
    """POST /login from ``source``; (status, seconds it took, the session cookie when it worked)."""
    form = urllib.parse.urlencode({"username": user, "password": password}).encode()
    started = time.perf_counter()
    code, response, _ = http_request(
        url,
        "/login",
        method="POST",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        source=source,
    )
    cookies = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])
    return code, time.perf_counter() - started, cookies


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def raw_post(
    url: str, path: str, *, total: int, chunked: bool, content_type: str = "application/json"
) -> int | None:
    """Send a ``total``-byte body (by Content-Length, or chunked) until the server answers; its status."""
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Type: {content_type}"]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    response = bytearray()
    answered = threading.Event()

    def read() -> None:
        with contextlib.suppress(OSError):
            while b"\r\n" not in response:
                data = sock.recv(65536)
                if not data:
                    break
                response.extend(data)
        answered.set()

    reader = threading.Thread(target=read, daemon=True)
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        reader.start()
        piece = b'{"data": ["' + b"a" * (1024 * 1024 - 11)
        sent = 0
        with contextlib.suppress(OSError):  # the server may close the connection once it has answered
            while sent < total and not answered.is_set():
                chunk = piece[: min(len(piece), total - sent)]
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                sent += len(chunk)
            if chunked and not answered.is_set():
                sock.sendall(b"0\r\n\r\n")
        answered.wait(60)
    finally:
        sock.close()
    return int(response.split()[1]) if response.startswith(b"HTTP/") else None


def multipart(name: str, payload: bytes) -> tuple[bytes, str]:
    boundary = "cqa-boundary-7f3a"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


# -- 3. Host allow-list and Origin check ------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["evil.example", "rebind.attacker.test:{port}", "127.0.0.1.nip.io:{port}", ""]
)
def test_foreign_host_headers_are_refused(app_url: ChatURL, host: str) -> None:
    host = host.format(port=urllib.parse.urlsplit(app_url).port)
    for path, method in (
        ("/", "GET"),
        ("/config", "GET"),
        ("/gradio_api/info", "GET"),
        ("/gradio_api/upload", "POST"),
    ):
        code, _, body = http_request(app_url, path, method=method, headers={"Host": host})
        assert code in (400, 421), f"{method} {path} with Host {host!r}: {code}"
        assert b"components" not in body


def test_loopback_host_names_are_served(app_url: ChatURL) -> None:
    port = urllib.parse.urlsplit(app_url).port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
        assert http_request(app_url, "/config", headers={"Host": host})[0] == 200, host


def test_cross_origin_posts_and_reads_are_refused(app_url: ChatURL) -> None:
    port = urllib.parse.urlsplit(app_url).port
    body, content_type = multipart("note.txt", b"Harbour news\n\nThe harbour reopened on Monday.\n")
    for origin in (
        f"http://127.0.0.1:{port + 1}",
        f"http://localhost:{port - 1}",
        "https://evil.example",
        "null",
    ):
        for path, method, data in (
            ("/gradio_api/upload", "POST", body),
            ("/gradio_api/queue/join", "POST", b'{"data": ["x"], "fn_index": 0, "session_hash": "abc"}'),
            ("/gradio_api/call/ask", "POST", b'{"data": ["Who is Cuba\'s foreign minister?"]}'),
            ("/gradio_api/queue/data?session_hash=abc", "GET", None),
        ):
            headers = {"Origin": origin, "Content-Type": content_type if data is body else "application/json"}
            code, _, answer = http_request(app_url, path, method=method, headers=headers, body=data)
            assert code == 403, f"{method} {path} from {origin}: {code}"
            assert answer == b"Cross-origin request refused."  # nothing of the app's in the reply
    # The page's own origin (what the browser sends) is fine.
    own = {"Origin": f"http://127.0.0.1:{port}", "Content-Type": content_type}
    code, _, answer = http_request(app_url, "/gradio_api/upload", method="POST", headers=own, body=body)
    assert code == 200 and b"note.txt" in answer


# -- 4. Request size limits ---------------------------------------------------------------------------


def _rss_growth_during(pid: int, action: Callable[[], int | None]) -> tuple[int | None, int]:
    baseline = peak = rss_bytes(pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes(pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = action()
    finally:
        done.set()
        sampler.join()
    return result, peak - baseline


@pytest.mark.parametrize(
    ("path", "chunked", "content_type"),
    [
        ("/gradio_api/call/ask", False, "application/json"),
        ("/gradio_api/queue/join", False, "application/json"),
        ("/gradio_api/call/ask", True, "application/json"),
        ("/login", True, "application/x-www-form-urlencoded"),
    ],
)
def test_huge_bodies_are_refused_with_413_before_they_are_read(
    app_url: ChatURL, path: str, chunked: bool, content_type: str
) -> None:
    total = 200 * 1024 * 1024
    started = time.perf_counter()
    code, growth = _rss_growth_during(
        app_url.pid,
        lambda: raw_post(app_url, path, total=total, chunked=chunked, content_type=content_type),
    )
    took = time.perf_counter() - started
    print(
        f"\n{path} {'chunked' if chunked else 'Content-Length'} 200 MB: {code} in {took:.2f} s, RSS +{growth >> 20} MB"
    )
    assert code == 413
    assert growth < 48 * 1024 * 1024, f"server RSS grew by {growth >> 20} MB"
    assert took < 10
    assert http_request(app_url, "/config")[0] == 200  # still serving


def test_upload_requests_keep_their_own_larger_limit(app_url: ChatURL) -> None:
    body, content_type = multipart(
        "long.txt", b"Long article\n\n" + b"The harbour reopened on Monday. " * 60_000
    )
    assert len(body) > 1024 * 1024  # over the limit for other routes, under 5 MB
    code, _, _ = http_request(
        app_url, "/gradio_api/upload", method="POST", headers={"Content-Type": content_type}, body=body
    )
    assert code == 200
    total = 70 * 1024 * 1024  # many files of under 5 MB each, in one request: over the upload cap
    code = raw_post(app_url, "/gradio_api/upload", total=total, chunked=False, content_type=content_type)
    assert code == 413


# -- 5 and 6. Uploads never overwrite; their cached copies are deleted ------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is required for browser tests: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield b
        b.close()


def upload_in_page(browser: Any, url: str, files: list[Path]) -> str:
    """Upload through the page, as a visitor does; returns the status message."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        page.get_by_role("tab", name="Corpus").click()
        page.locator("#cqa-upload input[type=file]").set_input_files([str(f) for f in files])
        page.locator("#cqa-add").click()
        page.wait_for_function(  # the final message (progress bars show there first)
            """() => /added|already in the corpus|✗/.test(
                document.querySelector('#cqa-upload-status').innerText)""",
            timeout=120000,
        )
        return str(page.locator("#cqa-upload-status").inner_text())
    finally:
        context.close()


@pytest.mark.browser
def test_uploads_never_overwrite_an_article_and_leave_no_cached_copy(
    app_url: ChatURL, web_root: Path, browser: Any, tmp_path: Path
) -> None:
    uploads, cache = web_root / "uploads", web_root / "gradio-cache"
    first = "Victim article\n\nThe victim article says the bridge opened on Friday.\n"
    second = "Impostor article\n\nThe impostor article says the bridge never opened.\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "victim.txt").write_text(first, encoding="utf-8")
    (tmp_path / "b" / "victim.txt").write_text(second, encoding="utf-8")

    status = upload_in_page(browser, app_url, [tmp_path / "a" / "victim.txt"])
    assert "added" in status, status
    status = upload_in_page(browser, app_url, [tmp_path / "b" / "victim.txt"])
    assert "added" in status and "victim-2.txt" in status, status
    assert (uploads / "victim.txt").read_text(encoding="utf-8") == first  # the first one is kept
    assert (uploads / "victim-2.txt").read_text(encoding="utf-8") == second
    status = upload_in_page(browser, app_url, [tmp_path / "a" / "victim.txt"])  # the same text again
    assert "already in the corpus" in status and not (uploads / "victim-3.txt").exists(), status

    # Each upload's copy in Gradio's cache is deleted once it has been handled (and Gradio's
    # empty placeholder files with it).
    left = [
        p for p in cache.rglob("*") if p.is_file() and (p.name.startswith("victim") or p.stat().st_size == 0)
    ]
    assert left == []


# -- 1 and 2. Login: per-client lockout, strangers cannot lock the user out, waits do not block -----------

PASSWORD = "s3cret-pass"


@pytest.fixture(scope="module")
def auth_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatURL]:
    root = tmp_path_factory.mktemp("auth")
    env = {
        "CORPUS_QA_AUTH": f"reader:{PASSWORD}",
        "CORPUS_QA_AUTH_LOCKOUT_S": "120",
        "GRADIO_TEMP_DIR": str(root / "gradio-cache"),
        "CORPUS_QA_UPLOAD_CACHE_S": "3",  # uploads never added are swept after 3 s
    }
    with running_chat(root, "--allowed-host", "chat.example.org", env=env) as url:
        yield url


def test_wrong_passwords_are_slowed_then_lock_out_that_client_only(auth_url: ChatURL) -> None:
    attacker = "127.0.0.3"
    assert login(auth_url, "reader", PASSWORD, source=attacker)[0] == 200
    for _ in range(5):
        code, took, _ = login(auth_url, "reader", "wrong", source=attacker)
        assert code != 200 and took >= 0.9  # each wrong try is slowed
    # locked out, even with the right password...
    assert login(auth_url, "reader", PASSWORD, source=attacker)[0] != 200
    code, _, cookie = login(auth_url, "reader", PASSWORD)  # ... but only that client is
    assert code == 200 and "access-token" in cookie


def test_the_login_page_explains_the_lockout(auth_url: ChatURL) -> None:
    # The login form shows the config's auth_message: a locked-out user learns to wait, for how
    # long, and that retyping the right password will not help meanwhile.
    code, _, body = http_request(auth_url, "/gradio_api/login_check")  # the login page asks it first
    assert code == 401
    message = json.loads(body)["detail"]["auth_message"]
    assert "5 wrong passwords" in message and "2 minutes" in message and "right password" in message


def test_made_up_user_names_never_lock_out_the_user(auth_url: ChatURL) -> None:
    stranger = "127.0.0.2"
    for name in ("admin", "root", "guest", "test", "user", "reader2", "Reader"):
        code, took, _ = login(auth_url, name, PASSWORD, source=stranger)
        assert code != 200 and took >= 0.9
    assert login(auth_url, "reader", PASSWORD, source=stranger)[0] == 200
    assert login(auth_url, "reader", PASSWORD)[0] == 200


def test_wrong_logins_do_not_slow_down_anyone_else(auth_url: ChatURL) -> None:
    code, _, cookie = login(auth_url, "reader", PASSWORD)
    assert code == 200
    stop = threading.Event()
    tries = [0, 0, 0]

    def attack(i: int) -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                login(auth_url, "reader", f"guess-{tries[i]}", source=f"127.0.0.{4 + i}")
            tries[i] += 1

    attackers = [threading.Thread(target=attack, args=(i,), daemon=True) for i in range(3)]
    for t in attackers:
        t.start()
    time.sleep(0.5)
    latencies: list[float] = []
    deadline = time.monotonic() + 20  # bounded: 40 requests or 20 s, whichever ends first
    try:
        for i in range(40):
            if time.monotonic() > deadline:
                break
            path = "/config" if i % 2 else "/"
            started = time.perf_counter()
            status = http_request(auth_url, path, headers={"Cookie": cookie})[0]
            latencies.append(time.perf_counter() - started)
            assert status == 200
            time.sleep(0.1)
    finally:
        stop.set()
        for t in attackers:
            t.join(timeout=30)  # each is at most one (slowed) login away from stopping
    p95 = float(np.percentile(latencies, 95))
    print(
        f"\nwhile 3 clients guess passwords ({sum(tries)} tries): p50 {1000 * np.median(latencies):.0f} ms, "
        f"p95 {1000 * p95:.0f} ms"
    )
    assert sum(tries) >= 3 and p95 < 0.5


def test_allowed_host_flag_adds_a_host_name(auth_url: ChatURL) -> None:
    assert http_request(auth_url, "/gradio_api/login_check", headers={"Host": "chat.example.org"})[0] == 401
    assert http_request(auth_url, "/gradio_api/login_check", headers={"Host": "other.example.org"})[0] == 400
    form = urllib.parse.urlencode({"username": "reader", "password": PASSWORD}).encode()
    headers = {
        "Host": "chat.example.org",
        "Origin": "https://chat.example.org",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    assert http_request(auth_url, "/login", method="POST", headers=headers, body=form)[0] == 200


def test_uploads_never_added_are_swept_from_the_cache(auth_url: ChatURL) -> None:
    cache = Path(auth_url.log).parent / "gradio-cache"
    code, _, cookie = login(auth_url, "reader", PASSWORD)
    body, content_type = multipart("orphan.txt", b"Orphan\n\nNobody adds this article.\n")
    headers = {"Cookie": cookie, "Content-Type": content_type}
    code, _, answer = http_request(auth_url, "/gradio_api/upload", method="POST", headers=headers, body=body)
    assert code == 200 and b"orphan.txt" in answer
    assert list(cache.rglob("orphan.txt"))
    deadline = time.monotonic() + 30
    while list(cache.rglob("orphan.txt")) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not list(cache.rglob("orphan.txt"))


# -- the policies on their own (no server) ----------------------------------------------------------------


def test_host_policy_names_ports_and_origins() -> None:
    from ui.errors import UIError
    from ui.guard import HostPolicy

    policy = HostPolicy.for_server("0.0.0.0", 7860, ["chat.example.org", "10.0.0.5:8443"])
    for host in (
        "127.0.0.1:7860",
        "localhost:7860",
        "[::1]:7860",
        "chat.example.org",
        "chat.example.org:443",
    ):
        assert policy.allows(host), host
    for host in ("127.0.0.1:7861", "0.0.0.0:7860", "10.0.0.5:7860", "evil.example", "", "a@localhost:7860"):
        assert not policy.allows(host), host
    assert not policy.allows("chat.example.org.evil.test") and not policy.allows("localhost")
    assert policy.allows_origin("http://127.0.0.1:7860") and policy.allows_origin("https://chat.example.org")
    for origin in ("null", "http://127.0.0.1:7861", "file://", "http://127.0.0.1:7860/x", "javascript:1"):
        assert not policy.allows_origin(origin), origin
    assert HostPolicy.for_server("192.168.1.5", 80).allows("192.168.1.5")  # a specific bound address
    with pytest.raises(UIError, match="allowed-host"):
        HostPolicy(["0.0.0.0"])


def test_login_guard_counts_per_client_and_stays_bounded() -> None:
    from ui.auth import LoginGuard

    now = [0.0]
    guard = LoginGuard("reader", "pw", lockout_s=60, max_clients=3, clock=lambda: now[0])
    waits = [guard.attempt("reader", "bad", "10.0.0.1")[1] for _ in range(9)]
    assert waits == [1, 1, 1, 1, 1, 2, 4, 8, 10]  # slowed, then slower, capped
    assert guard.attempt("reader", "pw", "10.0.0.1")[0] is False  # that client is locked out
    assert guard.attempt("reader", "pw", "10.0.0.2") == (True, 0.0)  # nobody else is
    for _ in range(20):
        assert guard.attempt("admin", "pw", "10.0.0.3")[0] is False  # a wrong name locks nothing
    assert guard.attempt("reader", "pw", "10.0.0.3")[0] is True
    for n in range(100):
        guard.attempt(f"name-{n}", "x", f"10.1.0.{n}")
    assert len(guard._by_client) <= 3 and len(guard._by_user) <= 3  # bounded memory
    now[0] += 61
    assert guard.attempt("reader", "pw", "10.0.0.1")[0] is True  # the lockout ends


def test_stopping_the_chat_with_sigterm_deletes_uploads_never_added(tmp_path: Path) -> None:
    # `kill`, systemd and docker stop a server with SIGTERM; Ctrl-C (SIGINT) always cleaned up.
    cache = tmp_path / "gradio-cache"
    body, content_type = multipart("never-added.txt", b"Canal news\n\nThe canal reopened.\n")
    with running_chat(tmp_path / "chat", env={"GRADIO_TEMP_DIR": str(cache)}) as url:
        code, _ = status_of(url + "gradio_api/upload", method="POST", headers={"Content-Type": content_type}, data=body)
        assert code == 200
        assert list(cache.rglob("never-added.txt")), "the upload should wait in the cache until it is added"
    # running_chat stops the chat with SIGTERM (Popen.terminate) and waits for it to exit.
    assert not list(cache.rglob("never-added.txt"))
