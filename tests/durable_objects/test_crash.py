"""A process killed in the middle of an object's turn loses only that turn's writes (real process, real file)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

WORKER = """
import os

from workers import DurableObject, WorkerEntrypoint


class Box(DurableObject):
    async def put_and_reply(self, key):
        await self.ctx.storage.put(key, "confirmed")
        return "ok"

    async def put_and_die(self, key):
        await self.ctx.storage.put(key, "never confirmed")
        await self.ctx.storage.put("confirmed", "overwritten but never confirmed")
        os._exit(3)  # the process dies before the turn ends: no reply ever promised these writes


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return None
"""

DRIVER = """
import asyncio, sys
from flarebind.runtime import Runtime

async def main():
    async with Runtime.from_config(sys.argv[1], persist_to=sys.argv[2]) as rt:
        stub = await rt.get_durable_object("BOX", "b")
        assert await stub.put_and_reply("confirmed") == "ok"
        print("confirmed", flush=True)
        await stub.put_and_die("lost")

asyncio.run(main())
"""


def test_a_killed_process_keeps_confirmed_writes_and_loses_the_running_turn(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "wrangler.toml").write_text(
        'name = "crash"\nmain = "src/entry.py"\ncompatibility_date = "2026-05-01"\n'
        'compatibility_flags = ["python_workers"]\n'
        '[[durable_objects.bindings]]\nname = "BOX"\nclass_name = "Box"\n'
        '[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Box"]\n'
    )
    (tmp_path / "driver.py").write_text(DRIVER)
    state = tmp_path / "state"
    proc = subprocess.run(
        [sys.executable, str(tmp_path / "driver.py"), str(tmp_path / "wrangler.toml"), str(state)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout.strip() == "confirmed"
    folder = state / "v3" / "do" / "crash-Box"
    file = next(f for f in folder.glob("*.sqlite") if f.name != "metadata.sqlite")
    with sqlite3.connect(file) as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM _cf_KV ORDER BY key")]
        value = conn.execute("SELECT value FROM _cf_KV WHERE key = 'confirmed'").fetchone()[0]
    assert keys == ["confirmed"]
    assert bytes(value).endswith(b"confirmed") and b"overwritten" not in bytes(value)
