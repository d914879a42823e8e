"""The pytest plugin, exercised in a real pytest subprocess (fixtures, isolation, the remote marker) and the
example projects' own test suites."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CONFIG = """
name = "plugin-test"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[[kv_namespaces]]
binding = "KV"
id = "kv"
"""

WORKER = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        n = int(await self.env.KV.get("n") or 0) + 1
        await self.env.KV.put("n", str(n))
        self.ctx.waitUntil(self.env.KV.put("bg", "done"))
        return Response(str(n))
"""

TESTS = """
import pytest


async def test_worker_state_is_isolated_1(worker):
    assert await (await worker.fetch("/")).text() == "1"
    await worker.settle()
    assert await worker.env.KV.get("bg") == "done"


async def test_worker_state_is_isolated_2(worker):
    assert await (await worker.fetch("/")).text() == "1"


async def test_env_fixture(env):
    assert await env.KV.get("n") is None
    await env.KV.put("n", "5")
    assert await env.KV.get("n") == "5"


async def test_httpx_client(worker):
    async with worker.http() as client:
        response = await client.get("/")
    assert response.text == "1"


@pytest.mark.flarebind_remote
async def test_remote_only(env):
    raise AssertionError("must not run without --flarebind-remote")
"""


def _run_pytest(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *args, str(directory)],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_fixtures_in_a_user_project(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_worker.py").write_text(textwrap.dedent(TESTS))
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n")
    result = _run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed, 1 skipped" in result.stdout
    assert "run with --flarebind-remote" in result.stdout
    # in-memory by default: nothing written next to the config
    assert not (tmp_path / ".wrangler").exists()


def test_example_projects_pass_their_own_tests() -> None:
    result = _run_pytest(REPO / "examples", "-o", "asyncio_mode=auto")
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_example_workers_do_not_import_flarebind() -> None:
    # they must deploy to Cloudflare unchanged: only the `workers` SDK and the standard library
    sources = sorted((REPO / "examples").glob("*/src/**/*.py"))
    assert {p.parent.parent.name for p in sources} >= {"hello", "kv", "d1", "r2"}
    for source in sources:
        text = source.read_text()
        assert "flarebind" not in text, source
        assert "from workers import" in text, source
