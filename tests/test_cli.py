"""The CLI as a real process: check, bindings, the production guard, exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest

CONFIG = """
name = "screenshots"
compatibility_date = "2026-05-01"

[env.production]
[[env.production.r2_buckets]]
binding = "screenshots_bucket"
bucket_name = "screenshots-bucket"

[env.staging]
[[env.staging.r2_buckets]]
binding = "screenshots_bucket"
bucket_name = "{staging_bucket}"
remote = true
"""


@pytest.fixture
def project(tmp_path):
    def write(staging_bucket="preview-screenshots-bucket"):
        (tmp_path / "wrangler.toml").write_text(textwrap.dedent(CONFIG).format(staging_bucket=staging_bucket))
        return tmp_path

    return write


def run(cmd, *args, cwd, env):
    return subprocess.run([*cmd, *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_version(flarebind_cmd, tmp_path, clean_env):
    result = run(flarebind_cmd, "--version", cwd=tmp_path, env=clean_env)
    assert result.returncode == 0 and result.stdout.strip() == "flarebind 0.1.0"


def test_bindings_staging_shows_preview_bucket_remote(flarebind_cmd, project, clean_env):
    cwd = project()
    result = run(flarebind_cmd, "bindings", "-e", "staging", cwd=cwd, env=clean_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Your Worker has access to the following bindings:"
    assert re.fullmatch(r"Binding\s+Resource\s+Mode", lines[1])
    assert re.fullmatch(r"env\.screenshots_bucket \(preview-screenshots-bucket\) {6}R2 Bucket {6}remote", lines[2])
    local = run(flarebind_cmd, "bindings", "-e", "staging", "--local", "--json", cwd=cwd, env=clean_env)
    assert json.loads(local.stdout)[0]["mode"] == "local"


def test_production_guard_in_check_and_platform_proxy(flarebind_cmd, project, clean_env):
    cwd = project(staging_bucket="screenshots-bucket")
    check = run(flarebind_cmd, "check", "-e", "staging", "--json", cwd=cwd, env=clean_env)
    assert check.returncode == 0  # a warning in check
    (diag,) = json.loads(check.stdout)["diagnostics"]
    assert diag["level"] == "warning"
    assert '"env.staging"' in diag["message"] and '"env.production"' in diag["message"]
    assert '"screenshots-bucket"' in diag["message"] and "--allow-production-remote" in diag["message"]
    assert diag["line"] == 14  # the `remote = true` line
    # the library refuses, like `flarebind dev`
    script = (
        "import asyncio\nfrom flarebind import platform_proxy\nfrom flarebind.config import ConfigError\n"
        "async def main():\n"
        "    try:\n"
        "        async with platform_proxy(env='staging'):\n"
        "            print('started')\n"
        "    except ConfigError as e:\n"
        "        print('refused:', e.diagnostics[0].message[:40])\n"
        "asyncio.run(main())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        env=clean_env,
        capture_output=True,
        text=True,
    )
    assert proc.stdout.startswith('refused: R2 Bucket binding "screenshots_bucket"'), proc.stderr
    # pointing staging at its own bucket passes
    cwd = project()
    assert json.loads(run(flarebind_cmd, "check", "-e", "staging", "--json", cwd=cwd, env=clean_env).stdout)["ok"]


def test_check_prints_remote_rule_errors_and_exits_1(flarebind_cmd, tmp_path, clean_env):
    (tmp_path / "wrangler.toml").write_text('name = "a"\n[ai]\nbinding = "AI"\nremote = false\n')
    result = run(flarebind_cmd, "check", cwd=tmp_path, env=clean_env)
    assert result.returncode == 1
    assert "✘ [ERROR] Processing wrangler.toml configuration:" in result.stderr
    assert "AI bindings do not support local development. You can set `remote: true`" in result.stderr
    assert "at wrangler.toml:4:1" in result.stderr


def test_check_malformed_toml_location(flarebind_cmd, tmp_path, clean_env):
    (tmp_path / "wrangler.toml").write_text('name = "a"\n[[kv_namespaces]\nbinding = "X"\n')
    result = run(flarebind_cmd, "check", cwd=tmp_path, env=clean_env)
    assert result.returncode == 1
    assert "✘ [ERROR] Invalid TOML document:" in result.stderr
    assert re.search(r"wrangler\.toml:2:\d+", result.stderr)


def test_usage_error_exit_code_2(flarebind_cmd, tmp_path, clean_env):
    assert run(flarebind_cmd, "check", "--nope", cwd=tmp_path, env=clean_env).returncode == 2


def test_bindings_table_quotes_vars_and_hides_secrets(flarebind_cmd, tmp_path, clean_env):
    (tmp_path / "wrangler.toml").write_text('name = "a"\n[vars]\nA = "hi"\nB = { k = 1 }\n')
    (tmp_path / ".dev.vars").write_text("TOKEN=do-not-print\n")
    result = run(flarebind_cmd, "bindings", cwd=tmp_path, env=clean_env)
    assert result.returncode == 0, result.stderr
    cells = [line.split("  ")[0] for line in result.stdout.splitlines()[2:]]
    assert cells == ['env.A ("hi")', 'env.B ({"k":1})', 'env.TOKEN ("(hidden)")']
    assert "do-not-print" not in result.stdout + result.stderr


def test_dev_refuses_a_remote_binding_to_a_production_resource(flarebind_cmd, project, clean_env):
    cwd = project(staging_bucket="screenshots-bucket")
    result = run(flarebind_cmd, "dev", "-e", "staging", "--port", "0", cwd=cwd, env=clean_env)
    assert result.returncode == 1
    assert "✘ [ERROR]" in result.stderr
    assert 'R2 Bucket binding "screenshots_bucket" in "env.staging" is remote' in result.stderr
    assert "Ready on" not in result.stdout
