"""The plugin from docs/writing-a-plugin.md, built as its own distribution and installed into a fresh venv
together with a plugin whose import raises."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "writing-a-plugin.md"


def files_from_doc() -> dict[str, str]:
    text = DOC.read_text()
    pattern = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<body>.*?)```", re.S)
    return {m["path"]: m["body"] for m in pattern.finditer(text)}


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    if not shutil.which("uv"):
        pytest.skip("uv is needed to build the fresh virtual environment")
    root = tmp_path_factory.mktemp("third-party")
    for rel, body in files_from_doc().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    broken = root / "flarebind-broken"
    (broken / "src" / "flarebind_broken").mkdir(parents=True)
    (broken / "pyproject.toml").write_text(
        '[project]\nname = "flarebind-broken"\nversion = "0.0.1"\n'
        '[project.entry-points.flarebind]\nbroken = "flarebind_broken"\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["src/flarebind_broken"]\n'
    )
    (broken / "src" / "flarebind_broken" / "__init__.py").write_text('raise ImportError("this plugin is broken")\n')
    venv = root / "venv"
    subprocess.run(["uv", "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [
            "uv",
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin" / "python"),
            str(REPO / "core"),
            str(root / "flarebind-motd"),
            str(broken),
        ],
        check=True,
    )
    return venv


def run(venv: Path, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("FLAREBIND_", "CLOUDFLARE_ENV", "VIRTUAL_ENV"))}
    environ.update(env, NO_COLOR="1")
    return subprocess.run(
        [str(venv / "bin" / "flarebind"), *args], cwd=cwd, env=environ, capture_output=True, text=True
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "wrangler.toml").write_text(
        'name = "app"\ncompatibility_date = "2026-05-01"\n\n[[motd]]\nbinding = "MOTD"\nmessage = "hello"\n'
    )
    return tmp_path


def test_plugins_lists_the_third_party_plugin_and_the_broken_one(venv, project):
    result = run(venv, "plugins", "--json", cwd=project)
    data = json.loads(result.stdout)
    assert [p["name"] for p in data["plugins"]] == ["motd"]
    (motd,) = data["plugins"]
    assert motd["distribution"] == "flarebind-motd" and motd["binding_types"] == ["motd"]
    assert motd["adapters"] == ["motd:local"]
    (error,) = data["errors"]
    assert error["name"] == "broken" and "this plugin is broken" in error["error"]
    assert result.returncode == 1  # a failed plugin is a failure of `flarebind plugins` itself


def test_check_validates_through_the_plugin_hook(venv, project):
    ok = run(venv, "check", cwd=project)
    assert ok.returncode == 0, ok.stderr
    assert 'The flarebind plugin "broken" failed to load' in ok.stderr
    (project / "wrangler.toml").write_text('name = "app"\n\n[[motd]]\nbinding = "MOTD"\nmessage = "' + "x" * 81 + '"\n')
    bad = run(venv, "check", "--json", cwd=project)
    assert bad.returncode == 1
    (diag,) = json.loads(bad.stdout)["diagnostics"]
    assert diag["message"] == 'The message of "MOTD" is 81 characters long; keep it to 80.'
    assert (diag["line"], diag["path"]) == (5, "motd[0].message")


def test_bindings_table_shows_the_plugin_type(venv, project):
    result = run(venv, "bindings", cwd=project)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Your Worker has access to the following bindings:"
    assert lines[1].split() == ["Binding", "Resource", "Mode"]
    assert re.fullmatch(r"env\.MOTD \(hello\)\s{6,}Message of the Day\s{6,}local", lines[2])


def test_platform_proxy_builds_the_plugin_binding(venv, project):
    script = (
        "import asyncio\nfrom flarebind import platform_proxy\n"
        "async def main():\n"
        "    async with platform_proxy('wrangler.toml') as p:\n"
        "        print(await p.env.MOTD.get())\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run([str(venv / "bin" / "python"), "-c", script], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello"


def test_disable_and_load_plugin_selection(venv, project):
    disabled = run(venv, "plugins", "--json", cwd=project, FLAREBIND_DISABLE_PLUGINS="broken")
    assert disabled.returncode == 0 and json.loads(disabled.stdout)["errors"] == []
    only = run(venv, "plugins", "--json", cwd=project, FLAREBIND_LOAD_PLUGINS="broken")
    data = json.loads(only.stdout)
    assert data["plugins"] == [] and [e["name"] for e in data["errors"]] == ["broken"]
    # without the motd plugin, its key is unknown: a warning, not a crash
    without = run(venv, "check", cwd=project, FLAREBIND_DISABLE_PLUGINS="motd,broken")
    assert without.returncode == 0
    assert 'Unexpected fields found in top-level field: "motd"' in without.stderr
