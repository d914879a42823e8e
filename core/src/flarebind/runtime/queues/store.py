"""Queue messages on disk, so a restart of ``flarebind dev`` loses nothing a ``send()`` resolved for.

Layout (flarebind's own; Miniflare keeps queues in memory only)::

    <persist_to>/v3/queues/flarebind-queues/queues.sqlite
        messages(seq PK, queue, id, content_type, body, bytes, timestamp_ms, visible_ms, failed_attempts)

A row is written (and committed) before ``send()`` resolves and deleted when its batch's outcome is committed: a
retry updates ``failed_attempts`` and ``visible_ms`` instead, a move to the dead-letter queue changes ``queue``. A
batch with the consumer is only marked in memory (one batch per queue is in flight, and a queue has one consumer),
so the messages of a batch interrupted by a killed process are simply delivered again on the next start
(at-least-once, as on Cloudflare). Queue names are never used as paths.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flarebind.storage.sqlite import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, id TEXT NOT NULL, content_type TEXT NOT NULL,
    body BLOB NOT NULL, bytes INTEGER NOT NULL, timestamp_ms REAL NOT NULL, visible_ms REAL NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_visible ON messages (queue, visible_ms, seq);
"""


def queues_db_path(v3: Path) -> Path:
    return v3 / "queues" / "flarebind-queues" / "queues.sqlite"


class QueueStore:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.db: sqlite3.Connection = connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(SCHEMA)
        # backlog (count, bytes) per queue, kept up to date by this process's writes so that every send and batch
        # can report metrics without scanning the queue; metrics() recounts from the table
        self._backlog: dict[str, list[int]] = {}

    def backlog(self, queue: str) -> tuple[int, int]:
        counts = self._backlog.get(queue)
        if counts is None:
            row = self.db.execute(
                "SELECT count(*), coalesce(sum(bytes), 0) FROM messages WHERE queue = ?", (queue,)
            ).fetchone()
            counts = self._backlog[queue] = [int(row[0]), int(row[1])]
        return counts[0], counts[1]

    def _count(self, queue: str, messages: int, size: int) -> None:
        counts = self._backlog.get(queue)
        if counts is not None:
            counts[0] += messages
            counts[1] += size

    def close(self) -> None:
        self.db.close()

    def insert(self, queue: str, rows: Iterable[tuple[str, str, bytes, float, float, int]]) -> None:
        """``rows``: (id, content_type, body, timestamp_ms, visible_ms, failed_attempts), in one transaction."""
        rows = list(rows)
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT INTO messages (queue, id, content_type, body, bytes, timestamp_ms, visible_ms, "
                "failed_attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(queue, id, ct, body, len(body), ts, vis, failed) for id, ct, body, ts, vis, failed in rows],
            )
        self._count(queue, len(rows), sum(len(r[2]) for r in rows))

    def visible_count(self, queue: str, now_ms: float) -> int:
        return int(
            self.db.execute(
                "SELECT count(*) FROM messages WHERE queue = ? AND visible_ms <= ?", (queue, now_ms)
            ).fetchone()[0]
        )

    def next_visible_after(self, queue: str, now_ms: float) -> float | None:
        """When the next delayed (not yet visible) message becomes visible."""
        row = self.db.execute(
            "SELECT min(visible_ms) FROM messages WHERE queue = ? AND visible_ms > ?", (queue, now_ms)
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def next_batch(self, queue: str, now_ms: float, limit: int) -> list[sqlite3.Row]:
        """Up to ``limit`` visible messages, in the order they became visible (then the order they were sent)."""
        return self.db.execute(
            "SELECT * FROM messages WHERE queue = ? AND visible_ms <= ? ORDER BY visible_ms, seq LIMIT ?",
            (queue, now_ms, limit),
        ).fetchall()

    def settle(
        self,
        queue: str,
        acked: list[tuple[int, int]],
        retried: list[tuple[int, int, float]],
        moved: list[tuple[int, int, str]],
        dropped: list[tuple[int, int]],
        now_ms: float = 0.0,
    ) -> None:
        """Apply one batch's outcome atomically: delete acked/dropped ``(seq, bytes)``, re-schedule retries
        ``(seq, failed attempts, visible_ms)``, move ``(seq, bytes, dlq)`` to a dead-letter queue."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("DELETE FROM messages WHERE seq = ?", [(s,) for s, _ in acked + dropped])
            self.db.executemany(
                "UPDATE messages SET failed_attempts = ?, visible_ms = ? WHERE seq = ?",
                [(failed, visible, seq) for seq, failed, visible in retried],
            )
            for seq, _, dlq in moved:
                # same id and timestamp on the dead-letter queue, attempts start again (at the end of its order)
                self.db.execute(
                    "INSERT INTO messages (queue, id, content_type, body, bytes, timestamp_ms, visible_ms) "
                    "SELECT ?, id, content_type, body, bytes, timestamp_ms, ? FROM messages WHERE seq = ?",
                    (dlq, now_ms, seq),
                )
                self.db.execute("DELETE FROM messages WHERE seq = ?", (seq,))
        self._count(queue, -len(acked) - len(dropped) - len(moved), -sum(b for _, b in acked + dropped))
        for _, size, dlq in moved:
            self._count(queue, 0, -size)
            self._count(dlq, 1, size)

    def metrics(self, queue: str) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT count(*), coalesce(sum(bytes), 0), min(timestamp_ms) FROM messages WHERE queue = ?", (queue,)
        ).fetchone()
        self._backlog[queue] = [int(row[0]), int(row[1])]
        return {"backlogCount": int(row[0]), "backlogBytes": int(row[1]), "oldest": row[2]}

    def queues(self) -> list[tuple[str, int]]:
        return [(r[0], int(r[1])) for r in self.db.execute("SELECT queue, count(*) FROM messages GROUP BY queue")]

    def messages(self, queue: str, limit: int = 100) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM messages WHERE queue = ? ORDER BY visible_ms, seq LIMIT ?", (queue, limit)
        ).fetchall()

    def purge(self, queue: str) -> int:
        self._backlog.pop(queue, None)
        return self.db.execute("DELETE FROM messages WHERE queue = ?", (queue,)).rowcount
