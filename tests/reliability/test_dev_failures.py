"""`flarebind dev` when something is missing (issue 20, item 8): placeholders for bindings nothing simulates, the
`not simulated` mode, a remote binding without credentials, a Worker that fails to import. Real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from e2e.devproc import DevProcess
from flarebind.platform import UnavailableBinding
from flarebind.plugins import get_plugins

BIN = Path(sys.executable).parent

UNSIMULATED = """
name = "probe"
main = "worker.py"
compatibility_date = "2026-05-01"
[[analytics_engine_datasets]]
binding = "EVENTS"
dataset = "events"
[assets]
directory = "public"
binding = "ASSETS"
[[worker_loaders]]
binding = "LOADER"
[[kv_namespaces]]
binding = "KV"
id = "abc"
"""

WORKER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        self.env.EVENTS.writeDataPoint({"blobs": ["x"]})
        return Response("written")
"""


@pytest.fixture
def clean(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_", "FLAREBIND_"))}
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"), NO_COLOR="1")
    return env


def _project(tmp_path: Path, config: str, worker: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "wrangler.toml").write_text(textwrap.dedent(config).lstrip())
    (project / "worker.py").write_text(textwrap.dedent(worker).lstrip())
    (project / "public").mkdir()
    return project


def test_placeholder_traceback_does_not_grow_per_request(tmp_path, clean):
    project = _project(tmp_path, UNSIMULATED, WORKER)
    dev = DevProcess(project, env=clean)
    try:
        dev.wait_for_output("Ready on")
        bodies = [dev.get("/") for _ in range(7)]
    finally:
        assert dev.stop() == 0, dev.output
    assert {b.status_code for b in bodies} == {500}
    assert "no installed plugin provides a local simulation of Analytics Engine Dataset bindings" in bodies[0].text
    assert len({len(b.content) for b in bodies}) == 1, [len(b.content) for b in bodies]


def test_placeholder_raises_a_fresh_exception_each_time():
    placeholder = UnavailableBinding("EVENTS", get_plugins().registry.not_simulated("analytics_engine", "X"))
    errors = []
    for _ in range(5):
        try:
            placeholder.writeDataPoint({})
        except Exception as exc:
            errors.append(exc)
    depths = []
    for exc in errors:
        depth, tb = 0, exc.__traceback__
        while tb is not None:
            depth, tb = depth + 1, tb.tb_next
        depths.append(depth)
    assert len(set(depths)) == 1 and len({id(e) for e in errors}) == 5
    assert all(str(e) == str(errors[0]) and type(e) is type(errors[0]) for e in errors)


def test_table_and_check_say_not_simulated(tmp_path, clean):
    project = _project(tmp_path, UNSIMULATED, WORKER)
    out = subprocess.run(
        [str(BIN / "flarebind"), "bindings", "--json"], cwd=project, env=clean, capture_output=True, text=True
    )
    modes = {row["binding"]: row["mode"] for row in json.loads(out.stdout)}
    assert modes == {
        "EVENTS": "not simulated",
        "ASSETS": "local",  # simulated since static assets and Worker Loader landed
        "LOADER": "local",
        "KV": "local",
    }
    check = subprocess.run(
        [str(BIN / "flarebind"), "check", "--json"], cwd=project, env=clean, capture_output=True, text=True
    )
    warnings = [d for d in json.loads(check.stdout)["diagnostics"] if d["level"] == "warning"]
    assert [w["path"] for w in warnings] == [
        "analytics_engine_datasets[0]",
    ]
    assert warnings[0]["message"].startswith('Analytics Engine Dataset binding "EVENTS" is not simulated locally')


def test_remote_binding_without_credentials_is_one_error(tmp_path, clean):
    config = (
        'name = "probe"\nmain = "worker.py"\ncompatibility_date = "2026-05-01"\n[ai]\nbinding = "AI"\nremote = true\n'
    )
    project = _project(tmp_path, config, WORKER)
    proc = subprocess.run(
        [str(BIN / "flarebind"), "dev", "--port", "0"],
        cwd=project,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [line for line in proc.stderr.splitlines() if "[ERROR]" in line]
    assert len(errors) == 1 and "No Cloudflare credentials" in errors[0]
    assert "Ready on" not in proc.stdout
