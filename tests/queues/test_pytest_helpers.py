"""The pytest plugin's queue helpers (``worker.enqueue`` / ``worker.drain``) in a user project, in a real pytest."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CONFIG = """
name = "queue-plugin-test"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[[kv_namespaces]]
binding = "KV"
id = "kv"

[[queues.producers]]
binding = "JOBS"
queue = "jobs"

[[queues.consumers]]
queue = "jobs"
max_batch_size = 2
max_batch_timeout = 30
max_retries = 1
dead_letter_queue = "dead"
"""

WORKER = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        await self.env.JOBS.send({"n": 1})
        return Response("queued")

    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            if message.body == "bad":
                message.retry()
                continue
            seen = await self.env.KV.get("seen") or ""
            await self.env.KV.put("seen", seen + f"{batch.queue}:{message.body};")
"""

TESTS = """
async def test_drain_delivers_without_waiting_for_the_batch_timeout(worker):
    assert await (await worker.fetch("/")).text() == "queued"
    await worker.enqueue("jobs", "a", "b", "c")
    assert await worker.drain("jobs") == 4
    assert await worker.env.KV.get("seen") == "jobs:{'n': 1};jobs:a;jobs:b;jobs:c;"


async def test_drain_follows_retries_to_the_dead_letter_queue(worker):
    await worker.enqueue("jobs", "bad")
    # 2 attempts on jobs, then the message sits on "dead" (no consumer here): nothing left to deliver
    assert await worker.drain() == 2
    assert await worker.env.KV.get("seen") is None
"""


def test_queue_helpers_in_a_user_project(tmp_path: Path) -> None:
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
