"""Workflows under a real `flarebind dev` process: killed mid-run, restarted, the instance resumes where it stopped."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from .devproc import DevProcess

WORKER = """
import json
import re
import subprocess
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


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    from .devproc import BIN

    return subprocess.run([str(BIN / "flarebind"), *args], capture_output=True, text=True, env=env, timeout=60)


def test_workflows_cli_drives_a_running_dev_server(project: Path, clean_env: dict[str, str]) -> None:
    dev = DevProcess(project, env=clean_env)
    try:
        dev.wait_for_output("Ready on http://127.0.0.1:")
        port = str(dev.port)
        local = ("--local", "--port", port)

        listed = _cli("workflows", "list", *local, env=clean_env)
        assert listed.returncode == 0, listed.stderr
        assert "Showing 1 workflow from local dev session:" in listed.stdout
        assert "│ pipeline │ wfdev       │ Pipeline   │" in listed.stdout

        empty = _cli("workflows", "instances", "list", "pipeline", *local, env=clean_env)
        assert 'There are no instances in workflow "pipeline"' in empty.stderr

        trigger = _cli("workflows", "trigger", "pipeline", '{"x": 1}', "--id", "cli-1", *local, env=clean_env)
        assert trigger.returncode == 0, trigger.stderr
        assert trigger.stdout.strip() == '🚀 Workflow instance "cli-1" has been triggered successfully'
        _wait_status(dev, "cli-1", "waiting")

        instances = _cli("workflows", "instances", "list", "pipeline", *local, env=clean_env)
        assert "Showing 1 instance from page 1:" in instances.stdout
        assert "cli-1" in instances.stdout and "⏰ Waiting" in instances.stdout

        paused = _cli("workflows", "instances", "pause", "pipeline", "latest", *local, env=clean_env)
        assert paused.returncode == 0, paused.stderr
        assert 'Latest instance is "cli-1"' in paused.stdout
        assert 'The instance "cli-1" from pipeline was paused successfully' in paused.stdout
        assert _status(dev, "cli-1")["status"] == "paused"
        resumed = _cli("workflows", "instances", "resume", "pipeline", "cli-1", *local, env=clean_env)
        assert 'The instance "cli-1" from pipeline was resumed successfully' in resumed.stdout

        # sent while the instance may still sleep: the event is buffered until wait_for_event takes it
        sent = _cli(
            "workflows", "instances", "send-event", "pipeline", "cli-1", "--type", "go",
            "--payload", '{"who": "cli"}', *local, env=clean_env,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout.strip() == (
            '📤 The event with type "go" and payload "{"who": "cli"}" was sent to the instance "cli-1" from pipeline'
        )
        assert _wait_status(dev, "cli-1", "complete")["output"] == "one+cli"

        described = _describe(port, clean_env, "cli-1")
        assert "Status:" in described and "✅ Completed" in described
        assert re.search(r"^Last Successful Step:  second$", described, re.M)
        assert (
            re.search(r"^  Name:      first$", described, re.M)
            and "🎯 Step" in described
            and "💤 Sleeping" in described
        )
        assert re.search(r'^  Output:    "one\+cli"$', described, re.M)

        details = _cli("workflows", "describe", "pipeline", *local, env=clean_env)
        assert re.search(r"^Class Name:   Pipeline$", details.stdout, re.M)
        assert re.search(r"^  complete:         1$", details.stdout, re.M)

        finished = _cli("workflows", "instances", "terminate", "pipeline", "cli-1", *local, env=clean_env)
        assert finished.returncode == 1
        assert "Local API error: (instance.cannot_terminate) Cannot terminate instance since its on a finite state" in (
            finished.stderr
        )
        missing = _cli("workflows", "instances", "describe", "pipeline", "nope", *local, env=clean_env)
        assert missing.returncode == 1 and "Local API error: Workflow instance 'nope' not found." in missing.stderr
    finally:
        assert dev.stop() == 0, dev.output
    down = _cli("workflows", "list", "--local", "--port", port, env=clean_env)
    assert down.returncode == 1
    assert f"Could not connect to local dev session on port {port}." in down.stderr
    remote = _cli("workflows", "list", env=clean_env)
    assert remote.returncode == 1 and "add --local" in remote.stderr


def _describe(port: str, env: dict[str, str], id: str = "latest") -> str:
    result = _cli("workflows", "instances", "describe", "pipeline", id, "--local", "--port", port, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.wrangler
def test_wranglers_own_workflows_commands_drive_flarebind_dev(project: Path, clean_env: dict[str, str]) -> None:
    from flarebind.testing.node import node_env, wrangler_command

    dev = DevProcess(project, env=clean_env)
    try:
        dev.wait_for_output("Ready on http://127.0.0.1:")

        def wrangler(*args: str) -> subprocess.CompletedProcess[str]:
            env = node_env({"WRANGLER_SEND_METRICS": "false", "NO_COLOR": "1"})
            return subprocess.run(
                [*wrangler_command(), "workflows", *args, "--local", "--port", str(dev.port)],
                cwd=project,
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
            )

        triggered = wrangler("trigger", "pipeline", '{"from": "wrangler"}', "--id", "w-1")
        assert triggered.returncode == 0, triggered.stdout + triggered.stderr
        assert 'Workflow instance "w-1" has been triggered successfully' in triggered.stdout
        assert dev.get("/event/w-1/wrangler").text == "sent"
        _wait_status(dev, "w-1", "complete")
        described = wrangler("instances", "describe", "pipeline", "w-1")
        assert described.returncode == 0, described.stdout + described.stderr
        assert "✅ Completed" in described.stdout
        assert re.search(r"^Last Successful Step:  second$", described.stdout, re.M)
        assert '"one+wrangler"' in described.stdout
    finally:
        assert dev.stop() == 0, dev.output
