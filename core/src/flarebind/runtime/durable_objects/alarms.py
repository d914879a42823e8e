"""Alarms: one per object, persisted as Miniflare does, fired by a per-class scheduler on the runtime's clock.

Persistence (shared with wrangler): the object's ``_cf_METADATA`` row 1 and the class folder's ``metadata.sqlite``
``_cf_ALARM(actor_id, scheduled_time)``, both in nanoseconds since the epoch, so alarms survive a restart and fire
even when the object is not in memory. Retries follow workerd: after a throwing handler, 2, 4, 8, 16, 32, 64 s
(plus up to 25 % jitter), then the alarm is abandoned. The clock is the runtime's (``Runtime(clock=…)``): with a
fake clock, tests fire alarms with ``Runtime.dispatch_alarm`` / ``run_due_alarms`` instead of waiting.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flarebind.runtime.durable_objects.host import NamespaceState, ObjectRecord

MAX_RETRIES = 6
POLL_SECONDS = 1.0  # a fake clock may jump: look again at least this often


class AlarmScheduler:
    def __init__(self, namespace: NamespaceState, folder: Path | None, clock: Callable[[], float]) -> None:
        self.namespace = namespace
        self.clock = clock
        self.times: dict[str, int] = {}  # object id -> ms since epoch
        self.retries: dict[str, int] = {}
        self.running: set[str] = set()
        self._meta: sqlite3.Connection | None = None
        self._folder = folder
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._firing: set[asyncio.Future[bool]] = set()
        self._closed = False
        if folder is not None and (folder / "metadata.sqlite").exists():
            for actor, ns in self._db().execute("SELECT actor_id, scheduled_time FROM _cf_ALARM"):
                if ns is not None:
                    self.times[actor] = int(ns) // 1_000_000

    def _db(self) -> sqlite3.Connection:
        if self._meta is None:
            from flarebind.storage.sqlite import connect, ensure_metadata_db

            assert self._folder is not None
            ensure_metadata_db(self._folder)
            self._meta = connect(self._folder / "metadata.sqlite")
        return self._meta

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- the storage API's view ------------------------------------------------------------------------------------

    def get(self, record: ObjectRecord) -> int | None:
        return self.times.get(record.hex)

    def set(self, record: ObjectRecord, ms: int) -> None:
        self.times[record.hex] = ms
        self.retries.pop(record.hex, None)
        self._persist(record, ms)
        self._poke()

    def delete(self, record: ObjectRecord) -> None:
        if self.times.pop(record.hex, None) is not None:
            self._persist(record, None)

    def _persist(self, record: ObjectRecord, ms: int | None) -> None:
        record.storage._write_alarm_metadata(ms)
        if self._folder is None:
            return
        if ms is None:
            self._db().execute("DELETE FROM _cf_ALARM WHERE actor_id = ?", (record.hex,))
        else:
            self._db().execute(
                "INSERT OR REPLACE INTO _cf_ALARM (actor_id, scheduled_time) VALUES (?, ?)",
                (record.hex, ms * 1_000_000),
            )

    # -- firing ---------------------------------------------------------------------------------------------------

    def start(self) -> None:
        # alarms fire only once a Worker is attached (a platform proxy has none to run them)
        if self._task is None and self.times and not self._closed and self.namespace.host.runtime is not None:
            self._task = asyncio.ensure_future(self._loop())

    def start_soon(self) -> None:
        try:
            self.start()
        except RuntimeError:
            pass  # no running loop yet: the first event starts the scheduler

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()
        try:
            self.start()
        except RuntimeError:
            pass  # no running loop: started by the next event

    async def _loop(self) -> None:
        self._wake = asyncio.Event()
        while not self._closed:
            for actor in self.due():
                task = asyncio.ensure_future(self.fire(actor))
                self._firing.add(task)
                task.add_done_callback(self._firing.discard)
            pending = [t for a, t in self.times.items() if a not in self.running]
            delay = POLL_SECONDS if pending else None
            if pending:
                delay = max(0.0, min(POLL_SECONDS, (min(pending) - self.now_ms()) / 1000))
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except asyncio.TimeoutError:
                pass

    def due(self) -> list[str]:
        now = self.now_ms()
        return [a for a, t in self.times.items() if t <= now and a not in self.running]

    async def fire(self, actor: str) -> bool:
        """Run ``actor``'s alarm now; returns whether one was scheduled (and so ran)."""
        scheduled = self.times.get(actor)
        if scheduled is None or actor in self.running:
            return False
        self.running.add(actor)
        record = self.namespace.record_for(actor)
        retry_count = self.retries.get(actor, 0)
        # while the handler runs, getAlarm() answers null unless the handler sets a new alarm
        self.times.pop(actor, None)
        try:
            await record.deliver_alarm(retry_count)
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit, asyncio.CancelledError)):
                raise
            self.namespace.host.log_error(exc, f"alarm of Durable Object {self.namespace.class_name} ({actor})")
            if actor not in self.times and retry_count < MAX_RETRIES:
                delay = 2 * 2**retry_count * (1 + random.random() * 0.25)
                self.times[actor] = self.now_ms() + int(delay * 1000)
                self.retries[actor] = retry_count + 1
            elif actor not in self.times:
                self.retries.pop(actor, None)
                self._persist(record, None)
        else:
            self.retries.pop(actor, None)
            if actor not in self.times:
                self._persist(record, None)
        finally:
            self.running.discard(actor)
            record.storage.flush()
        self._poke()
        return True

    async def close(self) -> None:
        # the flag as well as cancel(): Python 3.11's wait_for can swallow a cancel that races a wake-up
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._meta is not None:
            self._meta.close()
            self._meta = None

    def info(self) -> dict[str, Any]:
        return dict(self.times)
