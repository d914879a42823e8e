"""Queue messages on disk, so a restart of ``flarebind dev`` loses nothing a ``send()`` resolved for.

Layout (flarebind's own; Miniflare keeps queues in memory only)::

    <persist_to>/v3/queues/flarebind-queues/queues.sqlite
        messages(seq PK, queue, id, content_type, body, bytes, timestamp_ms, visible_ms, failed_attempts, leased)

A row is written (and committed) before ``send()`` resolves, marked ``leased`` while its batch is with the consumer,
and deleted when acknowledged; a retry updates ``failed_attempts`` and ``visible_ms``. On open, leases left by a
killed process are released, so messages that were in flight are delivered again (at-least-once, as Cloudflare).
Queue names are never used as paths.
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
    failed_attempts INTEGER NOT NULL DEFAULT 0, leased INTEGER NOT NULL DEFAULT 0,
    UNIQUE (queue, id)
);
CREATE INDEX IF NOT EXISTS messages_visible ON messages (queue, leased, visible_ms, seq);
"""


def queues_db_path(v3: Path) -> Path:
    return v3 / "queues" / "flarebind-queues" / "queues.sqlite"


class QueueStore:
    def __init__(self, path: Path | None, *, release_leases: bool = True) -> None:
        """``release_leases``: a runtime opening the store takes over messages a killed process left in flight; a
        CLI reading beside a running dev server must not."""
        self.path = path
        self.db: sqlite3.Connection = connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(SCHEMA)
        if release_leases:
            self.db.execute("UPDATE messages SET leased = 0 WHERE leased = 1")

    def close(self) -> None:
        self.db.close()

    def insert(self, queue: str, rows: Iterable[tuple[str, str, bytes, float, float, int]]) -> None:
        """``rows``: (id, content_type, body, timestamp_ms, visible_ms, failed_attempts), in one transaction."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO messages (queue, id, content_type, body, bytes, timestamp_ms, visible_ms, "
                "failed_attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(queue, id, ct, body, len(body), ts, vis, failed) for id, ct, body, ts, vis, failed in rows],
            )

    def visible_count(self, queue: str, now_ms: float) -> int:
        return int(
            self.db.execute(
                "SELECT count(*) FROM messages WHERE queue = ? AND leased = 0 AND visible_ms <= ?", (queue, now_ms)
            ).fetchone()[0]
        )

    def next_visible_after(self, queue: str, now_ms: float) -> float | None:
        """When the next delayed (not yet visible) message becomes visible."""
        row = self.db.execute(
            "SELECT min(visible_ms) FROM messages WHERE queue = ? AND leased = 0 AND visible_ms > ?", (queue, now_ms)
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def lease(self, queue: str, now_ms: float, limit: int) -> list[sqlite3.Row]:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            rows = self.db.execute(
                "SELECT * FROM messages WHERE queue = ? AND leased = 0 AND visible_ms <= ? "
                "ORDER BY visible_ms, seq LIMIT ?",
                (queue, now_ms, limit),
            ).fetchall()
            self.db.executemany("UPDATE messages SET leased = 1 WHERE seq = ?", [(r["seq"],) for r in rows])
        return rows

    def settle(
        self,
        acked: list[int],
        retried: list[tuple[int, int, float]],
        moved: list[tuple[int, str]],
        dropped: list[int],
    ) -> None:
        """Apply one batch's outcome atomically: delete acked/dropped, re-schedule retries, move to a DLQ."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("DELETE FROM messages WHERE seq = ?", [(s,) for s in acked + dropped])
            self.db.executemany(
                "UPDATE messages SET leased = 0, failed_attempts = ?, visible_ms = ? WHERE seq = ?",
                [(failed, visible, seq) for seq, failed, visible in retried],
            )
            for seq, dlq in moved:
                # same id and timestamp on the dead-letter queue, attempts start again
                self.db.execute(
                    "INSERT OR REPLACE INTO messages (queue, id, content_type, body, bytes, timestamp_ms, visible_ms) "
                    "SELECT ?, id, content_type, body, bytes, timestamp_ms, visible_ms FROM messages WHERE seq = ?",
                    (dlq, seq),
                )
                self.db.execute("DELETE FROM messages WHERE seq = ?", (seq,))

    def release(self, seqs: list[int]) -> None:
        self.db.executemany("UPDATE messages SET leased = 0 WHERE seq = ?", [(s,) for s in seqs])

    def metrics(self, queue: str) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT count(*), coalesce(sum(bytes), 0), min(timestamp_ms) FROM messages WHERE queue = ?", (queue,)
        ).fetchone()
        return {"backlogCount": int(row[0]), "backlogBytes": int(row[1]), "oldest": row[2]}

    def queues(self) -> list[tuple[str, int]]:
        return [(r[0], int(r[1])) for r in self.db.execute("SELECT queue, count(*) FROM messages GROUP BY queue")]

    def messages(self, queue: str, limit: int = 100) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM messages WHERE queue = ? ORDER BY visible_ms, seq LIMIT ?", (queue, limit)
        ).fetchall()

    def purge(self, queue: str) -> int:
        return self.db.execute("DELETE FROM messages WHERE queue = ?", (queue,)).rowcount
