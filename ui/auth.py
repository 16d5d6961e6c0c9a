"""The chat's login: one configured user, failures counted per client, waits that never block the server.

Gradio calls the auth function with the user name and password only, so the request guard
(``ui/guard.py``) puts the client's address in :data:`client_address` for the request, and
:meth:`LoginGuard.check` (a coroutine, which Gradio awaits) reads it there.

- Every wrong try waits ``delay_s`` before it is answered, with ``asyncio.sleep``: the event loop
  goes on serving everyone else. A client that keeps failing waits longer (doubling, up to
  ``max_delay_s``).
- ``max_failures`` wrong passwords *for the configured user name* lock that user out **for that
  client** for ``lockout_s``; other clients, the real user among them, can still log in.
- Wrong tries under other user names only slow their client down: strangers can never lock the
  configured user out.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar

from vectorstore.env import ENV_AUTH  # "user:password"
from vectorstore.env import ENV_AUTH_LOCKOUT_S as ENV_LOCKOUT

from .errors import UIError

__all__ = ["ENV_AUTH", "ENV_LOCKOUT", "LoginGuard", "auth_from_env", "client_address"]

#: The address of the client whose request is being handled (set by the request guard).
client_address: ContextVar[str] = ContextVar("corpus_qa_client", default="unknown")


class LoginGuard:
    """Checks the one configured login; slows wrong tries per client and locks a client out after a few."""

    def __init__(
        self,
        user: str,
        password: str,
        *,
        max_failures: int = 5,
        lockout_s: float = 300.0,
        delay_s: float = 1.0,
        max_delay_s: float = 10.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._user = user.encode()
        self._password = password.encode()
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.delay_s = delay_s
        self.max_delay_s = max_delay_s
        self.max_clients = max_clients
        self._clock = clock
        self._lock = threading.Lock()
        # client -> times of its recent failures under any name (how long it waits)
        self._by_client: OrderedDict[str, list[float]] = OrderedDict()
        # client -> times of its recent failures under the configured name (lockout)
        self._by_user: OrderedDict[str, list[float]] = OrderedDict()

    def _recent(self, table: OrderedDict[str, list[float]], client: str, now: float) -> list[float]:
        times = [t for t in table.get(client, ()) if now - t < self.lockout_s]
        if times:
            table[client] = times
        else:
            table.pop(client, None)
        return times

    def _record(self, table: OrderedDict[str, list[float]], client: str, now: float) -> int:
        times = self._recent(table, client, now)
        times.append(now)
        table[client] = times[-4 * self.max_failures :]  # enough to decide; bounded per client
        table.move_to_end(client)
        while len(table) > self.max_clients:  # bounded: the longest-quiet client is forgotten first
            table.popitem(last=False)
        return len(times)

    def locked(self, client: str = "unknown") -> bool:
        """Whether ``client`` may not log in as the configured user right now."""
        with self._lock:
            return len(self._recent(self._by_user, client, self._clock())) >= self.max_failures

    @property
    def message(self) -> str:
        """What the login page says, so a locked-out user knows to wait rather than retype."""
        minutes = self.lockout_s / 60
        span = f"{minutes:g} minute{'s' if minutes != 1 else ''}" if self.lockout_s >= 60 else (
            f"{self.lockout_s:g} seconds"
        )
        return (
            f"After {self.max_failures} wrong passwords, logins from this address are refused for "
            f"{span}, even with the right password: wait, then try again."
        )

    def _wait_after(self, failures: int) -> float:
        extra = max(0, failures - self.max_failures)
        return min(self.delay_s * (2 ** min(extra, 16)), max(self.max_delay_s, self.delay_s))

    def attempt(self, username: str, password: str, client: str) -> tuple[bool, float]:
        """The decision, without waiting: (accepted, seconds to wait before answering)."""
        name_ok = hmac.compare_digest(str(username).encode(), self._user)
        password_ok = hmac.compare_digest(str(password).encode(), self._password)
        with self._lock:
            now = self._clock()
            if name_ok and len(self._recent(self._by_user, client, now)) >= self.max_failures:
                return False, self._wait_after(self._record(self._by_client, client, now))
            if name_ok and password_ok:
                self._by_user.pop(client, None)
                self._by_client.pop(client, None)
                return True, 0.0
            if name_ok:
                self._record(self._by_user, client, now)
            return False, self._wait_after(self._record(self._by_client, client, now))

    async def check(self, username: str, password: str) -> bool:
        """What Gradio awaits on ``POST /login``: waits without blocking the event loop."""
        accepted, wait = self.attempt(username, password, client_address.get())
        if wait > 0:
            await asyncio.sleep(wait)
        return accepted


def auth_from_env() -> LoginGuard | None:
    raw = os.environ.get(ENV_AUTH)
    if not raw:
        return None
    user, sep, password = raw.partition(":")
    if not sep or not user or not password:
        raise UIError(f"{ENV_AUTH} must look like user:password.")
    try:
        lockout = float(os.environ.get(ENV_LOCKOUT, "300"))
    except ValueError:
        raise UIError(f"{ENV_LOCKOUT} must be a number of seconds.") from None
    return LoginGuard(user, password, lockout_s=lockout)
