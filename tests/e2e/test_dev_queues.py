"""Queues under a real `flarebind dev` process: messages in flight when the process is killed are delivered again."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .devproc import DevProcess

WORKER = """
import asyncio
from pathlib import Path
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint

ROOT = Path(__file__).resolve().parent.parent


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        parts = urlparse(request.url).path.strip("/").split("/")
        if parts[0] == "send":
            await self.env.JOBS.send(parts[1], delaySeconds=int(parts[2]))
            return Response("sent")
        return Response("?")

    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            with (ROOT / "marks.txt").open("a") as f:
                f.write(f"{message.body}:{message.attempts}\\n")
            if message.body == "hang" and not (ROOT / "release").exists():
                await asyncio.sleep(3600)  # in flight when the process is killed
"""

CONFIG = """
name = "qdev"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[[queues.producers]]
binding = "JOBS"
queue = "jobs"

[[queues.consumers]]
queue = "jobs"
max_batch_size = 1
max_batch_timeout = 0
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(WORKER)
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    return tmp_path


def _marks(project: Path) -> list[str]:
    path = project / "marks.txt"
    return path.read_text().split() if path.exists() else []


def _wait_marks(project: Path, count: int, dev: DevProcess, attempts: int = 400) -> list[str]:
    for _ in range(attempts):
        if len(_marks(project)) >= count:
            return _marks(project)
        time.sleep(0.05)
    raise AssertionError(f"marks never reached {count}: {_marks(project)}\n{dev.output}")


def test_killed_dev_server_redelivers_in_flight_and_delayed_messages(project: Path, clean_env: dict[str, str]):
    dev = DevProcess(project, env=clean_env)
    try:
        dev.wait_for_output("Ready on http://127.0.0.1:")
        assert dev.get("/send/hang/0").text == "sent"
        assert _wait_marks(project, 1, dev) == ["hang:1"]  # the consumer holds it
        assert dev.get("/send/later/3600").text == "sent"  # an hour's delay: still stored when killed
        assert dev.get("/send/queued/0").text == "sent"  # behind the in-flight batch
    finally:
        dev.proc.kill()
        dev.proc.wait()
        dev.client.close()
    assert _marks(project) == ["hang:1"]

    (project / "release").write_text("")
    dev = DevProcess(project, env=clean_env)
    try:
        dev.wait_for_output("Ready on http://127.0.0.1:")
        marks = _wait_marks(project, 3, dev)
        assert marks == ["hang:1", "hang:1", "queued:1"]  # redelivered, then the one queued behind it
        dev.wait_for_output("QUEUE jobs 1/1")
    finally:
        assert dev.stop() == 0, dev.output
    db = project / ".wrangler/state/v3/queues/flarebind-queues/queues.sqlite"
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT queue, content_type, failed_attempts FROM messages").fetchall()
    assert rows == [("jobs", "json", 0)]  # only the delayed message remains, kept for its hour


PRODUCER = """
from urllib.parse import urlparse
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        body = urlparse(request.url).path.strip("/")
        await self.env.OUT.send(body)
        return Response("sent " + body)
"""


def test_consumer_in_another_dev_process_sharing_the_state_folder(tmp_path: Path, clean_env: dict[str, str]):
    consumer = tmp_path / "consumer"
    (consumer / "src").mkdir(parents=True)
    (consumer / "src" / "entry.py").write_text(WORKER)
    (consumer / "wrangler.toml").write_text(CONFIG)
    producer = tmp_path / "producer"
    (producer / "src").mkdir(parents=True)
    (producer / "src" / "entry.py").write_text(PRODUCER)
    (producer / "wrangler.toml").write_text(
        'name = "qproducer"\nmain = "src/entry.py"\ncompatibility_date = "2026-05-01"\n'
        'compatibility_flags = ["python_workers"]\n\n[[queues.producers]]\nbinding = "OUT"\nqueue = "jobs"\n'
    )
    state = str(tmp_path / "shared-state")
    first = DevProcess(producer, "--persist-to", state, env=clean_env)
    second = DevProcess(consumer, "--persist-to", state, env=clean_env)
    try:
        first.wait_for_output("Ready on http://127.0.0.1:")
        second.wait_for_output("Ready on http://127.0.0.1:")
        assert first.get("/from-producer").text == "sent from-producer"
        assert _wait_marks(consumer, 1, second) == ["from-producer:1"]
        second.wait_for_output("QUEUE jobs 1/1")
    finally:
        assert first.stop() == 0, first.output
        assert second.stop() == 0, second.output


def test_bad_consumer_config_is_a_config_error_not_a_traceback(project: Path, clean_env: dict[str, str]) -> None:
    (project / "wrangler.toml").write_text(CONFIG + '\n[[queues.consumers]]\nqueue = "jobs"\n')
    dev = DevProcess(project, env=clean_env)
    try:
        assert dev.proc.wait(120) == 1
    finally:
        dev.client.close()
    dev._reader.join(10)
    assert "✘ [ERROR]" in dev.output
    assert 'Multiple consumers defined for queue "jobs": "qdev" and "qdev"' in dev.output
    assert "Traceback" not in dev.output
