"""docs/writing-a-plugin.md, kept true: the files it shows are what `flarebind plugin new` generates, and its
transcripts are what the commands print with that plugin installed beside the core in a fresh virtual environment
(together with a plugin whose import raises)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "writing-a-plugin.md"
NAME = "feature_flags"


def generated_blocks() -> dict[str, str]:
    text = DOC.read_text()
    pattern = re.compile(r"<!-- generated: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<body>.*?)```", re.S)
    return {m["path"]: m["body"] for m in pattern.finditer(text)}


def transcripts() -> list[tuple[dict[str, str], list[str], str]]:
    """(environment, argv, expected output) per `$ ...` line of the `<!-- transcript -->` blocks."""
    text = DOC.read_text()
    out = []
    for block in re.findall(r"<!-- transcript -->\n```console\n(.*?)```", text, re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, expected = chunk.partition("\n")
            words = shlex.split(command)
            env = dict(w.split("=", 1) for w in words if "=" in w and not w.startswith("-"))
            argv = [w for w in words if w not in {f"{k}={v}" for k, v in env.items()}]
            out.append((env, argv, expected))
    return out


def test_the_files_shown_are_the_generated_ones(tmp_path):
    from flarebind.scaffold import new_plugin

    root = new_plugin(NAME, tmp_path)
    blocks = generated_blocks()
    assert set(blocks) == {
        "pyproject.toml",
        "src/flarebind_feature_flags/__init__.py",
        "src/flarebind_feature_flags/local.py",
        "src/flarebind_feature_flags/remote.py",
    }
    for rel, body in blocks.items():
        assert (root / rel).read_text() == body, rel


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    if not shutil.which("uv"):
        pytest.skip("uv is needed to build the fresh virtual environment")
    from flarebind.scaffold import new_plugin

    root = tmp_path_factory.mktemp("third-party")
    plugin = new_plugin(NAME, root)
    broken = root / "flarebind-broken"
    (broken / "src" / "flarebind_broken").mkdir(parents=True)
    (broken / "pyproject.toml").write_text(
        '[project]\nname = "flarebind-broken"\nversion = "0.0.1"\n'
        '[project.entry-points.flarebind]\nbroken = "flarebind_broken"\n'
        '[project.entry-points."flarebind.config_keys"]\ngadgets = "flarebind_broken"\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["src/flarebind_broken"]\n'
    )
    (broken / "src" / "flarebind_broken" / "__init__.py").write_text('raise ImportError("this plugin is broken")\n')
    venv = root / "venv"
    subprocess.run(["uv", "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run(["uv", "pip", "install", "-q", "--python", python, str(REPO / "core"), str(plugin), str(broken)])
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
        'name = "app"\nmain = "src/entry.py"\ncompatibility_date = "2026-05-01"\n\n'
        '[[feature_flags]]\nbinding = "FLAGS"\nnamespace = "main"\ndefaults = "flags.json"\n'
    )
    (tmp_path / "flags.json").write_text('{"new_checkout": "off"}')
    return tmp_path


def test_the_transcripts_are_what_the_commands_print(venv, project):
    seen = 0
    for env, argv, expected in transcripts():
        assert argv[0] == "flarebind"
        env.setdefault("FLAREBIND_DISABLE_PLUGINS", "broken")  # the page's reader has no broken plugin
        if "feature_flags" in env["FLAREBIND_DISABLE_PLUGINS"]:
            env["FLAREBIND_DISABLE_PLUGINS"] += ",broken"
        result = run(venv, *argv[1:], cwd=project, **env)
        assert result.stdout + result.stderr == expected, (argv, result.stdout, result.stderr)
        seen += 1
    assert seen == 6


def test_plugins_lists_the_plugin_and_the_broken_one(venv, project):
    result = run(venv, "plugins", "--json", cwd=project)
    data = json.loads(result.stdout)
    assert [p["name"] for p in data["plugins"]] == [NAME]
    (error,) = data["errors"]
    assert error["name"] == "broken" and error["distribution"] == "flarebind-broken"
    assert "this plugin is broken" in error["error"]
    assert result.returncode == 1  # a failed plugin is a failure of `flarebind plugins` itself


def test_check_names_the_broken_plugin_of_a_configured_key(venv, project):
    ok = run(venv, "check", cwd=project)
    assert ok.returncode == 0, ok.stderr
    assert 'The flarebind plugin "broken" failed to load' in ok.stderr
    (project / "wrangler.toml").write_text('name = "app"\n\n[[gadgets]]\nbinding = "G"\n')
    bad = run(venv, "check", "--json", cwd=project)
    assert bad.returncode == 1
    (diag,) = json.loads(bad.stdout)["diagnostics"]
    assert diag["path"] == "gadgets" and diag["line"] == 3
    assert diag["message"].startswith(
        '"gadgets" bindings are configured, but the flarebind plugin that provides them (flarebind-broken) failed '
        "to load: ImportError: this plugin is broken."
    )


def test_validation_goes_through_the_declared_validate(venv, project):
    (project / "wrangler.toml").write_text(
        'name = "app"\n\n[[feature_flags]]\nbinding = "FLAGS"\nnamespace = "not allowed!"\n'
    )
    bad = run(venv, "check", "--json", cwd=project)
    assert bad.returncode == 1
    (diag,) = [d for d in json.loads(bad.stdout)["diagnostics"] if d["level"] == "error"]
    assert (diag["line"], diag["path"]) == (5, "feature_flags[0].namespace")
    assert diag["message"].startswith('Feature Flags binding "FLAGS": the namespace "not allowed!" may only hold')


def test_platform_proxy_builds_the_plugin_binding(venv, project):
    script = (
        "import asyncio\nfrom flarebind import platform_proxy\n"
        "async def main():\n"
        "    async with platform_proxy('wrangler.toml', in_memory=True) as p:\n"
        "        print(await p.env.FLAGS.get('new_checkout'))\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run([str(venv / "bin" / "python"), "-c", script], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "off"


def test_disable_and_load_plugin_selection(venv, project):
    disabled = run(venv, "plugins", "--json", cwd=project, FLAREBIND_DISABLE_PLUGINS="broken")
    assert disabled.returncode == 0 and json.loads(disabled.stdout)["errors"] == []
    only = run(venv, "plugins", "--json", cwd=project, FLAREBIND_LOAD_PLUGINS="broken")
    data = json.loads(only.stdout)
    assert data["plugins"] == [] and [e["name"] for e in data["errors"]] == ["broken"]
