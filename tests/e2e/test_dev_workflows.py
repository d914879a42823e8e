"""Workflows under a real `flarebind dev` process: killed mid-run, restarted, the instance resumes where it stopped."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .devproc import DevProcess

WORKER = """
import json
from pathlib import Path
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint, WorkflowEntrypoint

MARKS = Path(__file__).resolve().parent.parent / "marks.txt"


def mark(text):
    with MARKS.open("a") as f:
        f.write(text + "\\n")


class Pipeline(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("first")
        async def first():
            mark("first")
            return "one"

        value = await first()
        await step.sleep("nap", "2 seconds")
        approval = await step.wait_for_event("approval", "go", timeout="1 hour")

        @step.do("second")
        async def second():
            mark("second")
            return value + "+" + approval["payload"]["who"]

        return await second()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        parts = urlparse(request.url).path.strip("/").split("/")
        if parts[0] == "start":
            instance = await self.env.PIPELINE.create({"id": parts[1]})
            return Response(instance.id)
        instance = await self.env.PIPELINE.get(parts[1])
        if parts[0] == "event":
            await instance.send_event({"type": "go", "payload": {"who": parts[2]}})
            return Response("sent")
        return Response.json(await instance.status())
"""

CONFIG = """
name = "wfdev"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[[workflows]]
binding = "PIPELINE"
name = "pipeline"
class_name = "Pipeline"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(WORKER)
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    return tmp_path


def _status(dev: DevProcess, id: str) -> dict[str, object]:
    response = dev.get(f"/status/{id}")
    assert response.status_code == 200, response.text
    return json.loads(response.text)  # type: ignore[no-any-return]


def _wait_status(dev: DevProcess, id: str, wanted: str, attempts: int = 400) -> dict[str, object]:
    status = _status(dev, id)
    for _ in range(attempts):
        if status["status"] == wanted:
            return status
        time.sleep(0.05)
        status = _status(dev, id)
    raise AssertionError(f"{id} never reached {wanted}: {status}\n{dev.output}")


def _marks(project: Path) -> list[str]:
    path = project / "marks.txt"
    return path.read_text().split() if path.exists() else []


def test_killed_dev_server_resumes_the_instance_without_rerunning_steps(project: Path, clean_env: dict[str, str]):
    dev = DevProcess(project, env=clean_env)
    try:
        dev.wait_for_output("Ready on http://127.0.0.1:")
        assert dev.get("/start/run-1").text == "run-1"
        status = _wait_status(dev, "run-1", "waiting")  # "first" is done, the 2 s sleep has begun
        assert status["__LOCAL_DEV_STEP_OUTPUTS"] == ["one"]
    finally:
        dev.proc.kill()  # SIGKILL: no shutdown code runs
        dev.proc.wait()
        dev.client.close()
    assert _marks(project) == ["first"]
    assert (project / ".wrangler/state/v3/workflows/flarebind-workflows-pipeline/workflow.sqlite").is_file()

    dev = DevProcess(project, env=clean_env)
    try:
        dev.wait_for_output("Ready on http://127.0.0.1:")
        # resumed on start: the sleep finishes, then the instance waits for its event
        status = _wait_status(dev, "run-1", "waiting")
        assert dev.get("/event/run-1/ana").text == "sent"
        status = _wait_status(dev, "run-1", "complete")
        assert status["output"] == "one+ana"
        assert status["__LOCAL_DEV_STEP_OUTPUTS"][0] == "one"  # type: ignore[index]
    finally:
        assert dev.stop() == 0, dev.output
    assert _marks(project) == ["first", "second"]  # "first" ran once, before the kill
