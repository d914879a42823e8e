"""Time for the background engines (Workflows, Queues): a clock that tests can drive, and waits that follow it.

Engines read time from the runtime's ``clock`` (seconds since the epoch, ``LocalContext.clock``) and wait with
:func:`wait_until`. With the system clock that is an ``asyncio`` sleep; with a :class:`FakeClock` a wait ends only
when the test calls ``clock.advance(...)`` (or the wait's wake event fires), so sleeps, retry delays, batch timeouts
and visibility delays never wait in tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


class FakeClock:
    """A clock for tests: ``clock()`` is the current time; ``clock.advance(seconds)`` moves it and wakes waits."""

    def __init__(self, start: float | None = None) -> None:
        self.now = float(start if start is not None else time.time())
        self._waiters: list[tuple[float, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.set(self.now + seconds)

    def set(self, now: float) -> None:
        self.now = float(now)
        keep = []
        for deadline, fut in self._waiters:
            if fut.done():
                continue
            if deadline <= self.now:
                fut.set_result(None)
            else:
                keep.append((deadline, fut))
        self._waiters = keep

    def _wait(self, deadline: float) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if deadline <= self.now:
            fut.set_result(None)
        else:
            self._waiters.append((deadline, fut))
        return fut

    @property
    def pending(self) -> list[float]:
        """Deadlines something is waiting for (tests advance to them)."""
        return sorted(d for d, f in self._waiters if not f.done())


async def wait_until(clock: Callable[[], float], deadline: float, wake: asyncio.Event | None = None) -> bool:
    """Wait until ``clock() >= deadline``; returns True early if ``wake`` is set first."""
    if wake is not None and wake.is_set():
        return True
    timer: asyncio.Future[Any]
    if isinstance(clock, FakeClock):
        timer = clock._wait(deadline)
    else:
        remaining = deadline - clock()
        if remaining <= 0:
            return False
        timer = asyncio.ensure_future(asyncio.sleep(remaining))
    if wake is None:
        await timer
        return False
    waker: asyncio.Future[Any] = asyncio.ensure_future(wake.wait())
    try:
        done, _ = await asyncio.wait({timer, waker}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for fut in (timer, waker):
            if not fut.done():
                fut.cancel()
    return waker in done and wake.is_set()
