"""The pytest plugin's ``worker`` fixture reaches Durable Objects, with state isolated per test (real subprocess)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CONFIG = """
name = "do-plugin-test"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Counter"]
"""

WORKER = """
from workers import DurableObject, Response, WorkerEntrypoint


class Counter(DurableObject):
    async def increment(self):
        n = (self.ctx.storage.kv.get("n") or 0) + 1
        self.ctx.storage.kv.put("n", n)
        await self.ctx.storage.setAlarm(4102444800000)
        return n

    async def alarm(self):
        self.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS rang (at TEXT)")
        self.ctx.storage.sql.exec("INSERT INTO rang VALUES ('now')")

    def rang(self):
        return self.ctx.storage.sql.exec("SELECT count(*) AS n FROM rang").one()["n"]


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(str(await self.env.COUNTER.getByName("a").increment()))
"""

TESTS = """
async def test_one(worker):
    assert await (await worker.fetch("/")).text() == "1"
    stub = await worker.durable_object("COUNTER", "a")
    assert await stub.increment() == 2
    assert await worker.run_alarm("COUNTER", "a") is True
    assert await stub.rang() == 1


async def test_two_starts_fresh(worker):
    assert await (await worker.fetch("/")).text() == "1"
    assert await worker.run_alarm("COUNTER", "b") is False
"""


def test_worker_fixture_reaches_durable_objects_with_isolated_state(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_worker.py").write_text(textwrap.dedent(TESTS))
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    assert not (tmp_path / ".wrangler").exists()  # in memory by default
