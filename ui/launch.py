"""Starting the chat: Gradio behind the request guard, with the login guard and a bounded upload cache."""

from __future__ import annotations

import errno
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from vectorstore.env import ENV_UPLOAD_CACHE_S

from .auth import auth_from_env
from .errors import UIError
from .guard import HostPolicy, RequestGuard, hosts_from_env
from .uploads import CACHE_SETS, MAX_UPLOAD

if TYPE_CHECKING:
    from vectorstore import StoreSettings

    from .app import ChatApp

ENV_CACHE_AGE = ENV_UPLOAD_CACHE_S  # how long an upload never added stays in Gradio's cache
IN_USE = "port {port} is in use: stop the other server or pass --port N"


def cache_policy() -> tuple[int, int]:
    """``Blocks.delete_cache``: (sweep every N s, delete files older than M s); default hourly, 1 h old."""
    raw = os.environ.get(ENV_CACHE_AGE, "3600")
    try:
        age = float(raw)
    except ValueError:
        age = float("nan")
    if not age >= 1 or age == float("inf"):
        raise UIError(f"{ENV_CACHE_AGE}={raw!r} is not a number of seconds (1 or more): fix or unset it")
    return max(1, min(int(age), 600)), int(age)


def port_problem(host: str, port: int) -> str | None:
    """Why the chat cannot listen on ``host:port`` (None: it can), found by binding there as the server will.

    A port another server holds is the usual case; it is checked before the model loads, so the
    answer is one line at once rather than a traceback after the start-up. Gradio also binds
    127.0.0.1 to test the port, whatever the host, so that address is tried too.
    """
    name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        return f"cannot listen on {host}: the name does not resolve ({exc}); pass --host with an address of this machine"
    addresses = {info[4][:2]: info[0] for info in infos}
    # Several (localhost: 127.0.0.1 and ::1): one the machine lacks is skipped, as asyncio does.
    several = len(addresses) > 1
    addresses.setdefault(("127.0.0.1", port), socket.AF_INET)
    for address, family in addresses.items():
        try:
            probe = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue  # no such address family here; the server skips it too
        with probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: TIME_WAIT is free
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return IN_USE.format(port=port)
                if exc.errno == errno.EACCES:
                    return f"port {port} needs privileges on this machine: pass --port N with N above 1023"
                if exc.errno == errno.EADDRNOTAVAIL:
                    if several:
                        continue
                    return f"cannot listen on {host}: it is not an address of this machine; pass --host"
                return (
                    f"cannot listen on {host}:{port} ({exc.strerror or exc}); pass another --host or --port"
                )
    return None


def launch(
    app: ChatApp,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    block: bool = True,
    allowed_hosts: Sequence[str] = (),
) -> Any:
    from starlette.middleware import Middleware

    from .layout import page_css, page_js

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    policy = HostPolicy.for_server(host, port, [*allowed_hosts, *hosts_from_env()])
    guard = auth_from_env()
    demo = app.build()
    # Files posted to the upload route are deleted once handled (ui/uploads.py); anything left
    # (uploaded but never added) is swept by Gradio after the cache age, and all of it at exit.
    demo.delete_cache = cache_policy()
    CACHE_SETS.append(demo.upload_file_set)
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        # A coroutine function: Gradio awaits it, so the wait after a wrong password never blocks.
        auth=guard.check if guard is not None else None,
        auth_message=guard.message if guard is not None else None,
        max_file_size=MAX_UPLOAD,
        enable_monitoring=False,
        ssr_mode=False,
        css=page_css(),
        js=page_js(),
        prevent_thread_lock=not block,
        quiet=not block,
        footer_links=["api"],
        mcp_server=False,
        app_kwargs={"middleware": [Middleware(RequestGuard, policy=policy)]},
    )
    return demo


def serve(
    *,
    corpus: Path | None = None,
    store: StoreSettings | None = None,
    host: str = "127.0.0.1",
    port: int = 7860,
    uploads: Path | None = None,
    max_queue: int = 64,
    concurrency: int = 4,
    allowed_hosts: Sequence[str] = (),
    folderless: bool = False,
) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:  # a bad host name, login setting or busy port fails in one line, before the model loads
        HostPolicy.for_server(host, port, [*allowed_hosts, *hosts_from_env()])
        auth_from_env()
        cache_policy()
        problem = port_problem(host, port)
        if problem is not None:
            raise UIError(problem)
    except UIError as exc:
        _fail(str(exc))
    from .app import AppConfig, create_app  # Gradio and the model load only once the checks pass

    app = create_app(
        AppConfig(
            corpus=corpus,
            store=store,
            uploads=uploads,
            max_queue=max_queue,
            concurrency=concurrency,
            folderless=folderless,
        )
    )
    print(f"corpus-qa chat on http://{host}:{port} ({len(app.snapshot.documents)} articles)")
    # `kill`, systemd and docker stop with SIGTERM, which would end the process at once; read as
    # Ctrl-C, it closes the server the same way, deleting uploads never added.
    signal.signal(signal.SIGTERM, _stop)
    try:
        launch(app, host=host, port=port, block=True, allowed_hosts=allowed_hosts)
    except OSError as exc:
        if "empty port" in str(exc):  # Gradio's words: the port was taken between the check and the start
            _fail(IN_USE.format(port=port))
        _fail(f"the chat could not start on {host}:{port} ({exc})")


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2) from None
