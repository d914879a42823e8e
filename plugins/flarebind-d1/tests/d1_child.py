"""A separate process writing to a shared D1 database (used by test_d1_processes.py)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from flarebind.bindings.context import LocalContext
from flarebind_d1.local import make_local


async def main(state: str, worker: str, count: int) -> None:
    ctx = LocalContext(persist_to=Path(state))
    db = make_local("DB", {"type": "d1", "database_id": "shared"}, ctx)
    insert = db.prepare("INSERT INTO events (worker, n) VALUES (?, ?)")
    for i in range(count):
        if i % 10 == 0:
            # a batch takes the write lock for several statements; the other process must wait, not fail
            await db.batch([insert.bind(worker, i), db.prepare("UPDATE counter SET total = total + 1")])
        else:
            await insert.bind(worker, i).run()
        await db.prepare("SELECT count(*) AS c FROM events").first("c")
    await ctx.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
