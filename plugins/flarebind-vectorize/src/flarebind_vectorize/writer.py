"""Persisting vector mutations on one background thread per index file, so a batch's SQLite writes overlap the next
batch's validation.

Cloudflare's Vectorize applies mutations asynchronously: ``insert`` / ``upsert`` / ``deleteByIds`` return a
``mutationId`` once the change is enqueued, and ``describe()``'s ``processedUpToMutation`` says how far it got. Here a
mutation is applied to this process's in-memory matrix before the call returns (so the next query sees it, which is
stricter than Cloudflare) and its SQLite transaction is run by this thread, in submission order, one transaction per
batch. sqlite3 releases the GIL inside ``sqlite3_step``, so on two cores the write overlaps Python work.

Bookkeeping shared with the store, under :attr:`Writer.mutex`: ``pending`` counts, per id, the submitted batches not
yet committed (the store does not replay other processes' changes to such ids: our later write decides them);
``own`` holds the change-log sequence numbers this process wrote (not replayed); ``diverged`` lists ids whose
committed outcome differs from what the matrix assumed (an id another process inserted first), reloaded by the
store at its next sync. The queue is bounded (:data:`MAX_QUEUED` batches): a caller that gets ahead of the disk
waits. An error stops the writer's current batch and discards the queued ones; it is raised by the store's next call
and by ``close`` (see :class:`WriteFailed`).
"""

from __future__ import annotations

import atexit
import queue
import sqlite3
import threading
import weakref
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flarebind.plugin import FlarebindError, connect

# batches waiting for the writer at most (about 12 MB of float32 at 1000 x 768): enough to ride out a checkpoint,
# small enough that a killed process loses little and memory stays bounded
MAX_QUEUED = 4

_live: weakref.WeakSet[Writer] = weakref.WeakSet()


class WriteFailed(FlarebindError):
    """A mutation accepted earlier could not be written to the index file."""

    def __init__(self, name: str, mutation: str, discarded: int, cause: BaseException) -> None:
        later = f"; {discarded} later mutation(s) queued after it were not written either" if discarded else ""
        super().__init__(
            f'Vectorize index "{name}": mutation {mutation} could not be written to disk ({cause}){later}. '
            "The index now holds what was written before it; retry the mutations that were not applied."
        )


class Job:
    """One mutation for the writer: ``run(conn)`` performs it inside a transaction and returns ``(change seq or
    None, ids actually written or removed)``."""

    __slots__ = ("ids", "mutation", "nbytes", "predicted", "run")

    def __init__(
        self, mutation: str, ids: list[str], predicted: set[str], nbytes: int, run: Callable[[Any], Any]
    ) -> None:
        self.mutation = mutation
        self.ids = ids
        self.predicted = predicted
        self.nbytes = nbytes
        self.run = run


class Writer:
    def __init__(self, name: str, path: Path, on_commit: Callable[[int], None]) -> None:
        self.name = name
        self.path = path
        self.on_commit = on_commit  # bytes committed (the WAL checkpointer's counter); called on the writer thread
        self.mutex = threading.Lock()
        self.pending: Counter[str] = Counter()
        self.own: set[int] = set()
        self.diverged: set[str] = set()
        self.error: WriteFailed | None = None
        self._queue: queue.Queue[Job | None] = queue.Queue(MAX_QUEUED)
        self._thread: threading.Thread | None = None

    def submit(self, job: Job) -> None:
        """Queue ``job`` (blocks while :data:`MAX_QUEUED` batches wait); its ids count as pending from now on."""
        with self.mutex:
            self.pending.update(job.ids)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"vectorize-writer:{self.path.name}", daemon=True)
            self._thread.start()
            _live.add(self)
        self._queue.put(job)

    def busy(self) -> bool:
        """Batches submitted and not yet committed (or discarded)."""
        return self._queue.unfinished_tasks > 0

    def drain(self) -> None:
        """Wait until every submitted batch is committed (or discarded after an error)."""
        if self._thread is not None:
            self._queue.join()

    def take_error(self) -> WriteFailed | None:
        with self.mutex:
            error, self.error = self.error, None
        return error

    def close(self) -> None:
        if self._thread is not None:
            self._queue.join()
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        from flarebind_vectorize.store import _retry_locked

        conn = connect(self.path)
        try:
            while True:
                job = self._queue.get()
                if job is None:
                    self._queue.task_done()
                    return
                try:
                    seq, written = self._apply(conn, job, _retry_locked)
                except Exception as exc:
                    discarded = self._discard()
                    with self.mutex:
                        self.pending.clear()
                        self.error = self.error or WriteFailed(self.name, job.mutation, discarded, exc)
                else:
                    with self.mutex:
                        if seq is not None:
                            self.own.add(seq)
                        self.diverged.update(job.predicted.symmetric_difference(written))
                        self.pending.subtract(job.ids)
                        self.pending = +self.pending  # drop ids that reached zero
                    if job.nbytes:
                        self.on_commit(job.nbytes)
                finally:
                    self._queue.task_done()
        finally:
            conn.close()

    @staticmethod
    def _apply(conn: sqlite3.Connection, job: Job, retry: Callable[[Any], Any]) -> Any:
        try:
            retry(lambda: conn.execute("BEGIN IMMEDIATE"))
            result = job.run(conn)
            conn.execute("COMMIT")
            return result
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _discard(self) -> int:
        """After an error: drop the queued batches (they are reported, not written out of order)."""
        count = 0
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return count
            if job is None:  # a close() is waiting: keep its stop signal
                self._queue.task_done()
                self._queue.put(None)
                return count
            count += 1
            self._queue.task_done()


@atexit.register
def _drain_all() -> None:
    """An interpreter exiting without closing its bindings still writes what it accepted (daemon threads run until
    the atexit handlers are done)."""
    for writer in list(_live):
        try:
            writer.drain()
        except Exception:
            pass
