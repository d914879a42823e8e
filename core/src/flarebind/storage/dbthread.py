"""Blocking SQLite work off the event loop: one worker thread per database.

The simulators run a statement on the event loop first, because a point query or a small write takes a few
microseconds and a hop to a thread costs ten times that. Two things can make a statement take long, and both move
the work to the database's own thread instead of freezing every request of ``flarebind dev``:

- another process holds the write lock (``wrangler d1 execute --local``, a second ``flarebind dev``): connections
  use a busy timeout of 0, so the attempt on the loop fails at once with "database is locked", and the thread
  retries with back-off until the real busy timeout (:func:`retry_busy`);
- a statement runs long (a huge scan or recursive CTE): a progress handler interrupts the attempt on the loop
  after a small budget, and the thread runs it again (reads repeat harmlessly; an interrupted write was rolled
  back by SQLite, and multi-statement work runs in one transaction that is rolled back too).

One thread per database (not a shared pool): statements on one connection run one at a time anyway, and a slow
database must not hold up the others.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

#: how long a statement may run on the event loop before it is moved to the database's thread
LOOP_BUDGET_S = 0.01
#: how long the thread waits for another process's write lock (SQLite's busy timeout before)
BUSY_TIMEOUT_S = 30.0


def is_busy(exc: BaseException) -> bool:
    """SQLite's SQLITE_BUSY / SQLITE_LOCKED as sqlite3 raises them."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc)
    return text.startswith("database is locked") or text.startswith("database table is locked") or "busy" in text


def retry_busy(fn: Callable[[], T], timeout_s: float = BUSY_TIMEOUT_S) -> T:
    """Call ``fn`` until it does not fail with "database is locked", for up to ``timeout_s`` (then re-raise)."""
    deadline = time.monotonic() + timeout_s
    delay = 0.001
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            now = time.monotonic()
            if not is_busy(exc) or now >= deadline:
                raise
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 2, 0.05)


class DatabaseThread:
    """The worker thread of one database, started on first use."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _get(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"flarebind-db-{self._name}")
            return self._executor

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._get(), functools.partial(fn, *args))

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
