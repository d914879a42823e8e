"""WAL checkpoints on a background thread, so bulk inserts do not pay for them.

In WAL mode every committed page is written twice: once to the ``-wal`` file at commit, and again into the database
file by a checkpoint, which SQLite runs inside whichever commit crosses ``wal_autocheckpoint`` pages, with an fsync of
each file (``synchronous = NORMAL``). For Vectorize batches (3 MB of float32 per 1000 × 768 vectors) that one commit
in twenty took about 160 ms, a third of the insert time. SQLite's documentation suggests the remedy used here: a
separate connection runs ``PRAGMA wal_checkpoint(PASSIVE)`` on its own thread once enough has been written. A passive
checkpoint never blocks the writer or readers, and it changes nothing about durability: a commit is still in the WAL
when ``COMMIT`` returns (safe against a killed process), and a checkpoint still fsyncs the WAL before it copies pages
and the database after. The automatic checkpoint stays on as a backstop for when this thread falls behind.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flarebind.plugin import connect

log = logging.getLogger(__name__)

# ask for a checkpoint once this much has been committed since the last request (about five batches of 1000 × 768)
CHECKPOINT_BYTES = 16 << 20


class Checkpointer:
    """One background thread per index file, started on first use and joined by :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending = 0
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None

    def wrote(self, nbytes: int) -> None:
        """Count bytes just committed; past :data:`CHECKPOINT_BYTES`, wake the thread."""
        self.pending += nbytes
        if self.pending < CHECKPOINT_BYTES:
            return
        self.pending = 0
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"vectorize-checkpoint:{self.path.name}", daemon=True
            )
            self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        conn = connect(self.path)
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stop:
                    return
                try:
                    conn.execute(
                        "PRAGMA wal_checkpoint(PASSIVE)"
                    ).fetchall()  # fetch all: a pending row holds a read lock
                except Exception as exc:  # the writer's own automatic checkpoint still runs; never kill the process
                    log.debug("background checkpoint of %s failed: %s", self.path, exc)
        finally:
            conn.close()

    def close(self) -> None:
        if self._thread is not None:
            self._stop = True
            self._wake.set()
            self._thread.join()
            self._thread = None
