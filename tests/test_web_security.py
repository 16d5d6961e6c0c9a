"""Hardening and load, tested against the running chat on loopback."""

from __future__ import annotations

import concurrent.futures
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

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


def test_monitoring_endpoints_are_off(app_url: str) -> None:
    for path in ("monitoring", "gradio_api/monitoring", "gradio_api/monitoring/dashboard"):
        assert status_of(app_url + path)[0] != 200


def test_upload_over_the_limit_is_refused_with_413(app_url: str) -> None:
    boundary = "cqa-boundary"
    payload = b"a" * (6 * 1024 * 1024)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    code, _ = status_of(
        app_url + "gradio_api/upload",
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        data=body,
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
