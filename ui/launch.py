"""Starting the chat: Gradio behind the request guard, with the login guard and a bounded upload cache."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vectorstore.env import ENV_UPLOAD_CACHE_S

from .auth import auth_from_env
from .errors import UIError
from .guard import HostPolicy, RequestGuard, hosts_from_env
from .uploads import CACHE_SETS, MAX_UPLOAD

if TYPE_CHECKING:
    from vectorstore import StoreSettings

    from .app import ChatApp

ENV_CACHE_AGE = ENV_UPLOAD_CACHE_S  # how long an upload never added stays in Gradio's cache


def cache_policy() -> tuple[int, int]:
    """``Blocks.delete_cache``: (sweep every N s, delete files older than M s); default hourly, 1 h old."""
    try:
        age = max(1, int(float(os.environ.get(ENV_CACHE_AGE, "3600"))))
    except ValueError:
        age = 3600
    return max(1, min(age, 600)), age


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
    from .app import AppConfig, create_app

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:  # a bad host name or login setting fails in one line, before the model loads
        HostPolicy.for_server(host, port, [*allowed_hosts, *hosts_from_env()])
        auth_from_env()
    except UIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
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
    launch(app, host=host, port=port, block=True, allowed_hosts=allowed_hosts)
