"""Two processes reading and writing one database file at once (WAL, busy timeout, BEGIN IMMEDIATE batches)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from flarebind.bindings.context import LocalContext
from flarebind_d1.local import make_local

CHILD = str(Path(__file__).with_name("d1_child.py"))
COUNT = 300


async def test_two_processes_write_concurrently(tmp_path: Path):
    ctx = LocalContext(persist_to=tmp_path)
    db = make_local("DB", {"type": "d1", "database_id": "shared"}, ctx)
    await db.exec(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, worker TEXT, n INTEGER);\n"
        "CREATE TABLE counter (total INTEGER);\nINSERT INTO counter VALUES (0);"
    )

    env = dict(os.environ, PYTHONUNBUFFERED="1")
    procs = [
        subprocess.Popen(
            [sys.executable, CHILD, str(tmp_path), name, str(COUNT)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name in ("a", "b")
    ]
    # this process reads while the children write
    seen = []
    while any(p.poll() is None for p in procs):
        seen.append(await db.prepare("SELECT count(*) AS c FROM events").first("c"))
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()

    rows = await db.prepare("SELECT worker, count(*) AS c, count(DISTINCT n) AS d FROM events GROUP BY worker").all()
    assert rows.results == [{"worker": "a", "c": COUNT, "d": COUNT}, {"worker": "b", "c": COUNT, "d": COUNT}]
    assert await db.prepare("SELECT total FROM counter").first("total") == 2 * (COUNT // 10)
    assert seen == sorted(seen)  # a reader only ever sees committed, growing state
    await ctx.dispose()
