"""An ASGI middleware in front of the Gradio app: known Host names, same-origin requests, small bodies.

- **Host allow-list** (DNS rebinding): a request whose ``Host`` is not one of the allowed names
  gets 400. Default: ``127.0.0.1``, ``localhost`` and ``[::1]`` on the served port, plus the bound
  address when it is a specific one; add names with ``--allowed-host`` / ``CORPUS_QA_ALLOWED_HOSTS``.
- **Origin check** (cross-site requests): a request carrying an ``Origin`` that is not an allowed
  host (another port, another name, ``null``) gets 403, whatever its method. Browsers send
  ``Origin`` on cross-origin fetches and on every POST, so pages elsewhere can neither post
  uploads/questions nor read answers; same-origin pages and non-browser clients are unaffected.
- **Body limit**: bodies over ``body_limit`` (``upload_limit`` on the upload route) get 413, by
  ``Content-Length`` before anything is read, and by counting bytes for chunked bodies.
- **``/ask`` defaults**: a raw HTTP call of ``/ask`` that sends the question alone
  (``{"data": ["…"]}``) gets the empty history it would get from ``gradio_client``; Gradio itself
  refuses a call short of inputs with a bare ``{"error": null}``.

It also records the client's address for the login check (:data:`ui.auth.client_address`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from vectorstore.env import ENV_ALLOWED_HOSTS  # comma-separated, e.g. "chat.example.org,10.0.0.5:7860"

from .auth import client_address
from .errors import UIError

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

BODY_LIMIT = 1024 * 1024  # questions, chat history, login forms
UPLOAD_BODY_LIMIT = 64 * 1024 * 1024  # one upload request (Gradio still caps each file at 5 MB)
UPLOAD_ROUTE = "/gradio_api/upload"
ASK_ROUTE = "/gradio_api/call/ask"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_WILDCARD = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - names to recognise, not to bind


def split_host(value: str) -> tuple[str, int | None] | None:
    """``"Example.org:7860"`` -> ``("example.org", 7860)``; ``"[::1]"`` -> ``("[::1]", None)``; None if malformed."""
    value = value.strip().lower()
    if not value or any(c in value for c in "/\\@?# \t"):
        return None
    try:
        parts = urlsplit("//" + value)
        name, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not name:
        return None
    return (f"[{name}]" if ":" in name else name), port


def hosts_from_env() -> list[str]:
    return [h.strip() for h in os.environ.get(ENV_ALLOWED_HOSTS, "").split(",") if h.strip()]


class HostPolicy:
    """Which ``Host`` (and ``Origin``) values are ours: ``name:port`` exactly, or ``name`` on any port."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.entries: set[tuple[str, int | None]] = set()
        for entry in entries:
            parsed = split_host(entry)
            if parsed is None or parsed[0] in _WILDCARD:
                raise UIError(
                    f"Not a host name for --allowed-host or {ENV_ALLOWED_HOSTS}: {entry!r} (e.g. chat.example.org:7860)."
                )
            self.entries.add(parsed)

    @classmethod
    def for_server(cls, host: str, port: int, extra: Iterable[str] = ()) -> HostPolicy:
        names = list(LOOPBACK)
        bound = split_host(host)
        if bound is not None and bound[0] not in _WILDCARD:
            names.append(bound[0])
        return cls([*(f"{name}:{port}" for name in names), *extra])

    def allows(self, host: str) -> bool:
        parsed = split_host(host)
        if parsed is None:
            return False
        name, port = parsed
        if (name, None) in self.entries:
            return True
        ports = {port} if port is not None else {80, 443}  # no port: the scheme's default
        return any((name, p) in self.entries for p in ports)

    def allows_origin(self, origin: str) -> bool:
        try:
            parts = urlsplit(origin.strip())
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or parts.path or parts.query or parts.username:
            return False
        return self.allows(parts.netloc)


class RequestGuard:
    """The middleware; Gradio adds it through ``launch(app_kwargs={"middleware": [...]})``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        policy: HostPolicy,
        body_limit: int = BODY_LIMIT,
        upload_limit: int = UPLOAD_BODY_LIMIT,
    ) -> None:
        self.app = app
        self.policy = policy
        self.body_limit = body_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers: dict[str, list[str]] = {}
        for key, value in scope.get("headers", ()):
            headers.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        hosts = headers.get("host", [])
        if len(hosts) != 1 or not self.policy.allows(hosts[0]):
            await _refuse(scope, send, 400, "Unknown Host header: use the address the chat was started with.")
            return
        origins = headers.get("origin", [])
        if origins and (len(origins) > 1 or not self.policy.allows_origin(origins[0])):
            await _refuse(scope, send, 403, "Cross-origin request refused.")
            return
        client = scope.get("client")
        token = client_address.set(str(client[0]) if client else "unknown")
        try:
            if scope["type"] == "http":
                await self._http(scope, receive, send, headers)
            else:
                await self.app(scope, receive, send)
        finally:
            client_address.reset(token)

    async def _http(
        self, scope: MutableMapping[str, Any], receive: Receive, send: Send, headers: dict[str, list[str]]
    ) -> None:
        path = str(scope.get("path", ""))
        limit = self.upload_limit if path.rstrip("/").endswith(UPLOAD_ROUTE) else self.body_limit
        lengths = headers.get("content-length", [])
        if lengths:
            if len(set(lengths)) > 1 or not lengths[0].strip().isdigit():
                await _refuse(scope, send, 400, "Bad Content-Length.")
                return
            if int(lengths[0]) > limit:
                await _refuse(scope, send, 413, f"Request body over the {limit} byte limit.")
                return
        received = 0
        refused = started = False

        async def counted_receive() -> Message:
            nonlocal received, refused, started
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a chunked (or lying) body: stop reading here
                    refused = True
                    if not started:
                        started = True
                        await _refuse(scope, send, 413, f"Request body over the {limit} byte limit.")
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the app says after it is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        app_receive: Receive = counted_receive
        if scope.get("method") == "POST" and path.rstrip("/") == ASK_ROUTE:
            app_receive = await _with_ask_defaults(scope, counted_receive)
        try:
            await self.app(scope, app_receive, guarded_send)
        except Exception:
            if not refused:
                raise  # after a refusal the app fails on the cut-off body; that is expected


async def _with_ask_defaults(scope: MutableMapping[str, Any], receive: Receive) -> Receive:
    """``receive`` with the body of an ``/ask`` call read whole (it is under the body limit) and its
    missing ``history`` filled in; any other body is passed on as it came."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            first: Message = message  # a disconnect (or a refusal): the app sees it as it came
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            body = ask_with_defaults(b"".join(chunks))
            first = {"type": "http.request", "body": body, "more_body": False}
            scope["headers"] = [
                (k, v) for k, v in scope.get("headers", ()) if k.lower() != b"content-length"
            ] + [(b"content-length", str(len(body)).encode())]
            break
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return first
        return await receive()

    return replay


def ask_with_defaults(body: bytes) -> bytes:
    """An ``/ask`` call's JSON with ``history`` (its second input) set to ``null`` when left out."""
    try:
        call = json.loads(body)
    except ValueError:
        return body  # Gradio answers bad JSON with 422
    if isinstance(call, dict) and isinstance(call.get("data"), list) and len(call["data"]) == 1:
        call["data"] = [*call["data"], None]
        return json.dumps(call).encode()
    return body


async def _refuse(scope: MutableMapping[str, Any], send: Send, status: int, text: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})  # before accept: the client gets 403
        return
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
