"""`flarebind dev` as a real process: serve, reload on code and config edits, keep state, stop cleanly."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from .devproc import DevProcess

REPO = Path(__file__).resolve().parents[2]

WORKER = """
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/count":
            n = int(await self.env.KV.get("n") or 0) + 1
            await self.env.KV.put("n", str(n))
            return Response(f"{VERSION} count={n}")
        if path == "/boom":
            raise RuntimeError("the worker exploded")
        return Response(f"{VERSION} {self.env.GREETING} {getattr(self.env, 'EXTRA', '-')}")

    async def scheduled(self, controller, env, ctx):
        await self.env.KV.put("cron", controller.cron)
"""

CONFIG = """
name = "devtest"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[vars]
GREETING = "{greeting}"

[[kv_namespaces]]
binding = "KV"
id = "devtest-kv"
"""


def write_worker(project: Path, version: str, body: str = WORKER) -> None:
    (project / "src" / "entry.py").write_text(f"VERSION = {version!r}\n" + textwrap.dedent(body))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    write_worker(tmp_path, "v1")
    (tmp_path / "wrangler.toml").write_text(CONFIG.format(greeting="hello"))
    return tmp_path


@pytest.fixture
def dev(project: Path, clean_env: dict[str, str]) -> Iterator[DevProcess]:
    proc = DevProcess(project, "--test-scheduled", "--var", "EXTRA:from-cli", env=clean_env)
    try:
        proc.wait_for_output("Ready on http://127.0.0.1:")
        yield proc
    finally:
        code = proc.stop()
        assert code == 0, proc.output


def test_serves_prints_table_and_ready_line(dev: DevProcess) -> None:
    response = dev.get("/")
    assert response.status_code == 200
    assert response.text == "v1 hello from-cli"
    assert response.headers["content-type"] == "text/plain;charset=UTF-8"
    assert "Your Worker has access to the following bindings:" in dev.output
    assert "env.KV (devtest-kv)" in dev.output
    assert f"Ready on http://127.0.0.1:{dev.port}" in dev.output


def test_code_edit_reloads_and_keeps_local_state(dev: DevProcess, project: Path) -> None:
    assert dev.get("/count").text == "v1 count=1"
    assert dev.get("/count").text == "v1 count=2"
    write_worker(project, "v2")
    dev.wait_for_body("/", "v2 hello")
    # the KV namespace kept its data across the reload
    assert dev.get("/count").text == "v2 count=3"


def test_broken_edit_keeps_last_good_version(dev: DevProcess, project: Path) -> None:
    mark = dev.mark()
    (project / "src" / "entry.py").write_text("VERSION = 'broken'\ndef broken(:\n")
    dev.wait_for_output("SyntaxError", after=mark)
    assert "the last good version keeps serving" in dev.output
    assert dev.get("/").text == "v1 hello from-cli"
    write_worker(project, "v3")
    dev.wait_for_body("/", "v3 hello")


def test_sibling_module_edit_reloads(dev: DevProcess, project: Path) -> None:
    (project / "src" / "greeting.py").write_text("WORD = 'sibling-one'\n")
    write_worker(
        project, "v4", WORKER.replace("{VERSION} {self.env.GREETING}", "{VERSION} {__import__('greeting').WORD}")
    )
    dev.wait_for_body("/", "v4 sibling-one")
    (project / "src" / "greeting.py").write_text("WORD = 'sibling-two'\n")
    dev.wait_for_body("/", "v4 sibling-two")


def test_config_edit_reloads_and_reprints_table(dev: DevProcess, project: Path) -> None:
    assert dev.get("/count").text == "v1 count=1"
    mark = dev.mark()
    config = CONFIG.format(greeting="bonjour") + '\n[[kv_namespaces]]\nbinding = "OTHER"\nid = "other-kv"\n'
    (project / "wrangler.toml").write_text(config)
    dev.wait_for_body("/", "v1 bonjour")
    dev.wait_for_output("env.OTHER (other-kv)", after=mark)
    assert dev.get("/count").text == "v1 count=2"


def test_uncaught_exception_is_500_with_traceback(dev: DevProcess) -> None:
    response = dev.get("/boom")
    assert response.status_code == 500
    assert "RuntimeError: the worker exploded" in response.text
    assert "Traceback" in response.text
    dev.wait_for_output("RuntimeError: the worker exploded")
    # the server is still healthy
    assert dev.get("/").status_code == 200


def test_test_scheduled_endpoint_runs_the_scheduled_handler(dev: DevProcess) -> None:
    response = dev.get("/__scheduled", params={"cron": "*/5 * * * *"})
    assert response.status_code == 200
    assert response.text == "Ran scheduled event"
    handler = dev.get("/cdn-cgi/handler/scheduled", params={"cron": "0 0 * * *"})
    assert handler.text == "ok"


def test_bad_config_exits_1_with_error(project: Path, clean_env: dict[str, str]) -> None:
    (project / "wrangler.toml").write_text('name = "x"\nmain = "src/entry.py"\n[[kv_namespaces]]\nid = 5\n')
    proc = DevProcess(project, env=clean_env)
    try:
        code = proc.proc.wait(60)
    finally:
        proc.stop()
    assert code == 1
    assert "[ERROR]" in proc.output


def test_hello_example_runs_unchanged(tmp_path: Path, clean_env: dict[str, str]) -> None:
    pytest.importorskip("flarebind_d1.local", reason="the D1 local simulator is not installed")
    project = tmp_path / "hello"
    shutil.copytree(REPO / "examples" / "hello", project, ignore=shutil.ignore_patterns(".wrangler", "__pycache__"))
    proc = DevProcess(project, env=clean_env)
    try:
        proc.wait_for_output("Ready on")
        assert proc.get("/").text == "Hello from Python! You are visitor number 1."
        assert proc.get("/").text == "Hello from Python! You are visitor number 2."
        created = proc.client.post("/notes", json={"text": "from e2e"})
        assert created.json() == [{"id": 1, "text": "from e2e"}]
    finally:
        assert proc.stop() == 0, proc.output
    # state went to wrangler's layout under the project
    assert (project / ".wrangler" / "state" / "v3" / "kv").is_dir()
    assert (project / ".wrangler" / "state" / "v3" / "d1").is_dir()


def test_port_in_use_is_a_clear_error(project: Path, clean_env: dict[str, str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = DevProcess(project, "--port", str(port), env=clean_env)
        try:
            code = proc.proc.wait(60)
        finally:
            proc.stop()
    assert code == 1
    assert f"Address already in use (127.0.0.1:{port})" in proc.output


def test_worker_broken_at_start_serves_the_error_until_fixed(project: Path, clean_env: dict[str, str]) -> None:
    (project / "src" / "entry.py").write_text("import does_not_exist_anywhere\n")
    proc = DevProcess(project, env=clean_env)
    try:
        proc.wait_for_output("The Worker failed to load; serving its error on http://127.0.0.1:")
        assert "Ready on" not in proc.output  # not announced as if it were fine
        for _ in range(3):
            broken = proc.get("/")
            assert broken.status_code == 500
            assert "ModuleNotFoundError" in broken.text
        write_worker(project, "fixed")
        proc.wait_for_body("/", "fixed hello")
        proc.wait_for_output("Ready on http://127.0.0.1:")
    finally:
        assert proc.stop() == 0, proc.output


def test_dev_vars_edit_reloads_secrets(project: Path, clean_env: dict[str, str]) -> None:
    write_worker(project, "v1", WORKER.replace("getattr(self.env, 'EXTRA', '-')", "getattr(self.env, 'TOKEN', '-')"))
    proc = DevProcess(project, env=clean_env)
    try:
        proc.wait_for_output("Ready on")
        assert proc.get("/").text == "v1 hello -"
        (project / ".dev.vars").write_text("TOKEN=s3cret\n")
        proc.wait_for_body("/", "v1 hello s3cret")
        assert '"(hidden)"' in proc.output  # the re-printed table never shows the secret
        assert "s3cret" not in proc.output
    finally:
        assert proc.stop() == 0, proc.output
