"""Durable state of one Workflow: instances, cached steps and buffered events, in one SQLite file.

Layout (flarebind's own; Miniflare keeps one Durable Object file per instance under
``v3/workflows/miniflare-workflows-<name>/``, a format we do not write, so the folders never collide)::

    <persist_to>/v3/workflows/flarebind-workflows-<workflow name>/workflow.sqlite
        instances(id PK, status, params, created_on, created_ms, started_ms, ended_ms, paused_ms, output, error)
        steps(instance_id, key, kind, name, attempts, started_ms, ended_ms, wake_ms, config, value, error, done,
              attempt_log)      attempt_log: JSON [{start, end, success, error}] per attempt of a step.do
            key = sha1(name)-<k> for step.do, sha1(name+duration)-<k> for sleeps, sha1(name-k)-<k> for waits
            (the cache keys of workers-sdk's engine), so a replay finds each completed step by name and occurrence
        events(seq PK, instance_id, type, payload, timestamp_ms, taken_by)   FIFO per (instance, type)

Values (params, outputs, payloads) are :mod:`flarebind.runtime.serial` JSON. Every change is one autocommitted
statement or one transaction (WAL), so a killed ``flarebind dev`` loses at most the step that was running; a completed
step's result is on disk before ``run`` continues. Workflow names become folder names and are validated first.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from flarebind.storage.sqlite import connect

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, params TEXT, created_on TEXT NOT NULL, created_ms REAL NOT NULL,
    started_ms REAL, ended_ms REAL, paused_ms REAL, output TEXT, error TEXT
);
CREATE TABLE IF NOT EXISTS steps (
    instance_id TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, started_ms REAL, ended_ms REAL, wake_ms REAL, config TEXT,
    value TEXT, error TEXT, done INTEGER NOT NULL DEFAULT 0, attempt_log TEXT,
    PRIMARY KEY (instance_id, key)
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL, type TEXT NOT NULL, payload TEXT,
    timestamp_ms REAL NOT NULL, taken_by TEXT
);
CREATE INDEX IF NOT EXISTS events_by_type ON events (instance_id, type, taken_by, seq);
"""


def check_workflow_name(name: str) -> str:
    """A workflow name that is safe as a folder name (letters, digits, ``_``, ``-``, ``.``; not ``.``/``..``)."""
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise ValueError(
            f"Workflow name {name!r} cannot be stored locally: use letters, digits, '_', '-' or '.' "
            "(at most 128 characters), as Cloudflare's workflow names do."
        )
    return name


def workflow_db_path(v3: Path, name: str) -> Path:
    folder = (v3 / "workflows" / f"flarebind-workflows-{check_workflow_name(name)}").resolve()
    if v3.resolve() not in folder.parents:  # belt and braces: the name check already forbids separators
        raise ValueError(f"Workflow name {name!r} resolves outside the state folder")
    return folder / "workflow.sqlite"


class WorkflowStore:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.db: sqlite3.Connection = connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # -- instances ------------------------------------------------------------------------------------------------

    def insert_instance(self, id: str, params: str, created_on: str, now_ms: float) -> bool:
        cur = self.db.execute(
            "INSERT OR IGNORE INTO instances (id, status, params, created_on, created_ms) "
            "VALUES (?, 'queued', ?, ?, ?)",
            (id, params, created_on, now_ms),
        )
        return cur.rowcount == 1

    def instance(self, id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute("SELECT * FROM instances WHERE id = ?", (id,)).fetchone()
        return row

    def instances(self, status: str | None = None) -> list[sqlite3.Row]:
        if status is None:
            return self.db.execute("SELECT * FROM instances ORDER BY created_ms DESC, rowid DESC").fetchall()
        return self.db.execute(
            "SELECT * FROM instances WHERE status = ? ORDER BY created_ms DESC, rowid DESC", (status,)
        ).fetchall()

    def set_status(self, id: str, status: str, **fields: Any) -> None:
        sets = ", ".join(["status = ?", *(f"{k} = ?" for k in fields)])
        self.db.execute(f"UPDATE instances SET {sets} WHERE id = ?", (status, *fields.values(), id))

    def update(self, id: str, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE instances SET {sets} WHERE id = ?", (*fields.values(), id))

    def delete_instance(self, id: str) -> None:
        with self.db:
            self.db.execute("BEGIN")
            for table, column in (("steps", "instance_id"), ("events", "instance_id"), ("instances", "id")):
                self.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (id,))

    def wipe_steps(self, id: str) -> None:
        self.db.execute("DELETE FROM steps WHERE instance_id = ?", (id,))

    def shift_waits(self, id: str, by_ms: float) -> None:
        """After a pause: pending sleeps and retry delays resume with the time they had left."""
        self.db.execute(
            "UPDATE steps SET wake_ms = wake_ms + ? WHERE instance_id = ? AND done = 0 AND wake_ms IS NOT NULL",
            (by_ms, id),
        )

    # -- steps ----------------------------------------------------------------------------------------------------

    def step(self, instance_id: str, key: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM steps WHERE instance_id = ? AND key = ?", (instance_id, key)
        ).fetchone()
        return row

    def steps(self, instance_id: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM steps WHERE instance_id = ? ORDER BY rowid", (instance_id,)).fetchall()

    def outputs(self, instance_id: str) -> list[sqlite3.Row]:
        """Completed ``step.do`` results and received events, in the order they completed."""
        return self.db.execute(
            "SELECT kind, value FROM steps WHERE instance_id = ? AND done = 1 AND error IS NULL "
            "AND kind IN ('do', 'wait') ORDER BY ended_ms, rowid",
            (instance_id,),
        ).fetchall()

    def start_step(self, instance_id: str, key: str, kind: str, name: str, now_ms: float, config: str | None) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO steps (instance_id, key, kind, name, started_ms, config) VALUES (?, ?, ?, ?, ?, ?)",
            (instance_id, key, kind, name, now_ms, config),
        )

    def update_step(self, instance_id: str, key: str, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(
            f"UPDATE steps SET {sets} WHERE instance_id = ? AND key = ?", (*fields.values(), instance_id, key)
        )

    def count_steps(self, instance_id: str) -> int:
        return int(
            self.db.execute(
                "SELECT count(*) FROM steps WHERE instance_id = ? AND kind = 'do'", (instance_id,)
            ).fetchone()[0]
        )

    # -- events ---------------------------------------------------------------------------------------------------

    def add_event(self, instance_id: str, type: str, payload: str, now_ms: float) -> None:
        self.db.execute(
            "INSERT INTO events (instance_id, type, payload, timestamp_ms) VALUES (?, ?, ?, ?)",
            (instance_id, type, payload, now_ms),
        )

    def take_event(self, instance_id: str, type: str, key: str, now_ms: float) -> sqlite3.Row | None:
        """Atomically take the oldest buffered event of ``type`` and complete the wait step ``key`` with it."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            row: sqlite3.Row | None = self.db.execute(
                "SELECT * FROM events WHERE instance_id = ? AND type = ? AND taken_by IS NULL ORDER BY seq LIMIT 1",
                (instance_id, type),
            ).fetchone()
            if row is None:
                return None
            self.db.execute("UPDATE events SET taken_by = ? WHERE seq = ?", (key, row["seq"]))
            self.db.execute(
                "UPDATE steps SET done = 1, ended_ms = ?, value = ? WHERE instance_id = ? AND key = ?",
                (now_ms, row["payload"], instance_id, key),
            )
            return row

    def event(self, instance_id: str, key: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM events WHERE instance_id = ? AND taken_by = ?", (instance_id, key)
        ).fetchone()
        return row

    def release_events(self, instance_id: str) -> None:
        """On restart the wait steps are forgotten, so the events they took are buffered again."""
        self.db.execute("UPDATE events SET taken_by = NULL WHERE instance_id = ?", (instance_id,))
