"""Start `corpus-qa chat` in a subprocess on a free loopback port (browser and web tests)."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChatURL(str):
    """The running chat's URL (a plain ``str`` to callers that want only that), with its process id."""

    pid: int
    log: Path

    def __new__(cls, url: str, *, pid: int, log: Path) -> ChatURL:
        made = super().__new__(cls, url)
        made.pid = pid
        made.log = log
        return made


@contextmanager
def running_chat(root: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[ChatURL]:
    """The chat on the shipped corpus with its own store and upload folders; yields its URL (with ``.pid``)."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {
        **os.environ,
        "CORPUS_QA_STORE_DIR": str(root / "store"),
        "CORPUS_QA_UPLOAD_DIR": str(root / "uploads"),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        **(env or {}),
    }
    log_path = root / "chat.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ui", "chat", "--port", str(port), *args],
            cwd=REPO,
            env=full_env,
            stdout=log,
            stderr=log,
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + 180
            while True:
                if proc.poll() is not None:
                    raise RuntimeError("chat exited:\n" + log_path.read_text())
                try:
                    urllib.request.urlopen(url, timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("chat did not start:\n" + log_path.read_text()) from None
                    time.sleep(0.5)
            yield ChatURL(url, pid=proc.pid, log=log_path)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


class ChromaServer:
    """A `chroma run` on a fixed loopback port and data folder, stoppable and restartable."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
        log = open(self.data / "server.log", "a")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [chroma, "run", "--host", "127.0.0.1", "--port", str(self.port), "--path", str(self.data / "db")],
            stdout=log,
            stderr=log,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1)
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.3)
        if self.proc.poll() is None:
            self.proc.kill()
        raise RuntimeError("chroma run did not start:\n" + (self.data / "server.log").read_text())

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _CountingHandler.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def beacon_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback server that records every request it gets (it must get none)."""
    _CountingHandler.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _CountingHandler.hits
    finally:
        server.shutdown()
