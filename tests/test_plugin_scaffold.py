"""The acceptance test of the plugin contract: a binding type made with `flarebind plugin new` in a temporary
directory, installed beside the core (nothing else) in a fresh virtual environment, with no change to the core.

It gets a local adapter (its generated tests, through the pytest plugin's `env` / `worker` fixtures), a CLI
command, file watching under a real `flarebind dev`, a remote adapter whose declared reads the session relay
retries (and whose writes it does not), and `check` errors that name its distribution when it is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NAME = "feature_flags"
DIST = "flarebind-feature-flags"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(the venv, the generated distribution)."""
    import shutil

    if not shutil.which("uv"):
        pytest.skip("uv is needed to build the fresh virtual environment")
    root = tmp_path_factory.mktemp("scaffold")
    made = subprocess.run(
        [str(Path(sys.executable).parent / "flarebind"), "plugin", "new", NAME, "-d", str(root)],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    plugin = root / DIST
    assert made.stdout.splitlines()[0] == f"Created {plugin}"
    venv = root / "venv"
    subprocess.run(["uv", "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        ["uv", "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(REPO / "core"), f"{plugin}[test]"],
        check=True,
    )
    return venv, plugin


def environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLAREBIND_", "CLOUDFLARE_", "VIRTUAL_ENV"))}
    env.update(extra, NO_COLOR="1", WRANGLER_SEND_METRICS="false")
    return env


def flarebind(venv: Path, *args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "flarebind"), *args], cwd=cwd, env=environ(**extra), capture_output=True, text=True
    )


def test_the_generated_tests_pass(built):
    venv, plugin = built
    result = subprocess.run(
        [str(venv / "bin" / "pytest"), "-q", "-p", "no:cacheprovider"],
        cwd=plugin,
        env=environ(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout.splitlines()[-1] and "failed" not in result.stdout.splitlines()[-1]


def test_the_generated_code_is_lint_clean(built):
    _, plugin = built
    ruff = Path(sys.executable).parent / "ruff"
    for args in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = subprocess.run([str(ruff), *args], cwd=plugin, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_plugins_lists_type_key_adapters_and_command(built):
    venv, plugin = built
    result = flarebind(venv, "plugins", "--json", cwd=plugin)
    assert result.returncode == 0, result.stderr
    (info,) = json.loads(result.stdout)["plugins"]
    assert info["name"] == NAME and info["distribution"] == DIST
    assert info["binding_types"] == [NAME] and info["config_keys"] == [NAME]
    assert info["adapters"] == [f"{NAME}:local", f"{NAME}:remote"]
    assert info["commands"] == ["feature-flags"]


def test_cli_command_and_table(built, tmp_path):
    venv, _ = built
    (tmp_path / "flags.json").write_text('{"beta": "off"}')
    (tmp_path / "wrangler.toml").write_text(
        f'name = "app"\n\n[[{NAME}]]\nbinding = "FLAGS"\nnamespace = "main"\ndefaults = "flags.json"\n'
    )
    put = flarebind(venv, "feature-flags", "put", "FLAGS", "beta", "on", cwd=tmp_path)
    assert put.returncode == 0, put.stderr
    assert put.stdout.startswith("Resource location: local \n\nUse --remote if you want to access the remote")
    got = flarebind(venv, "feature-flags", "get", "FLAGS", "beta", cwd=tmp_path)
    assert got.returncode == 0 and got.stdout.splitlines()[-1] == "on"
    assert (tmp_path / ".wrangler" / "state" / "v3" / NAME / "main.sqlite").is_file()
    table = flarebind(venv, "bindings", cwd=tmp_path)
    assert table.stdout.splitlines()[2].split() == ["env.FLAGS", "(main)", "Feature", "Flags", "local"]


def test_check_errors_name_the_distribution_when_the_plugin_is_missing(built, tmp_path):
    venv, _ = built
    (tmp_path / "wrangler.toml").write_text(f'name = "app"\n\n[[{NAME}]]\nbinding = "FLAGS"\n')
    ok = flarebind(venv, "check", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    disabled = flarebind(venv, "check", "--json", cwd=tmp_path, FLAREBIND_DISABLE_PLUGINS=NAME)
    assert disabled.returncode == 1
    (diag,) = json.loads(disabled.stdout)["diagnostics"]
    assert diag["level"] == "error" and diag["path"] == NAME
    assert f'"{NAME}" bindings are configured' in diag["message"] and DIST in diag["message"]
    (tmp_path / "wrangler.toml").write_text(f'name = "app"\n\n[[{NAME}]]\nbinding = "FLAGS"\ndefaults = "no.json"\n')
    missing = flarebind(venv, "check", "--json", cwd=tmp_path)
    (diag,) = json.loads(missing.stdout)["diagnostics"]
    assert diag["path"] == f"{NAME}[0].defaults" and "does not exist" in diag["message"]


def test_dev_reloads_the_binding_when_its_file_changes(built, tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "tests"))
    try:
        from e2e import devproc
    finally:
        sys.path.remove(str(REPO / "tests"))
    venv, plugin = built
    project = tmp_path / "app"
    (project / "src").mkdir(parents=True)
    (project / "src" / "entry.py").write_text((plugin / "tests" / "src" / "entry.py").read_text())
    (project / "conf").mkdir()
    (project / "conf" / "flags.json").write_text('{"greeting": "v1"}')
    (project / "wrangler.toml").write_text(
        f'name = "app"\nmain = "src/entry.py"\ncompatibility_date = "2026-05-01"\n\n'
        f'[[{NAME}]]\nbinding = "{NAME.upper()}"\nnamespace = "n"\ndefaults = "conf/flags.json"\n'
    )
    monkeypatch.setattr(devproc, "BIN", venv / "bin")
    dev = devproc.DevProcess(project, env=environ())
    try:
        dev.wait_for_output("Ready on http://127.0.0.1:")
        assert dev.get("/").text == "v1"
        mark = dev.mark()
        (project / "conf" / "flags.json").write_text('{"greeting": "v2"}')
        dev.wait_for_output(f"Reloaded binding {NAME.upper()}", after=mark)
        assert dev.wait_for_body("/", "v2").text == "v2"
    finally:
        assert dev.stop() == 0, dev.output


STAND_IN = textwrap.dedent(
    """
    # A stand-in for a deployed proxy worker holding a feature_flags binding (Cloudflare has no such type, so
    # there is no real one to run): a real HTTP server on 127.0.0.1 speaking the protocol's JSON envelope, which
    # dies mid-request the first time it sees each operation, as a proxy restarting mid-call does.
    import asyncio, json, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from flarebind.platform import build_env
    from flarebind.plugin import LocalContext
    from flarebind.remote import start_remote_proxy_session

    SECRET = "s3cret"
    seen, dropped, calls = set(), [], []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            assert self.headers["x-flarebind-proxy-secret"] == SECRET
            envelope = json.loads(body)
            op = envelope["calls"][0]["call"]
            if op not in seen:
                seen.add(op)
                dropped.append(op)
                self.close_connection = True
                return
            calls.append(op)
            result = {"get": "remote-on", "put": None, "list": {"keys": ["beta"]}}[op]
            data = json.dumps({"result": result}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    async def main():
        spec = {"type": "feature_flags", "namespace": "main", "remote": True}
        url = f"http://127.0.0.1:{server.server_address[1]}"
        session = await start_remote_proxy_session({"FLAGS": spec}, proxy_url=url, proxy_secret=SECRET)
        ctx = LocalContext(in_memory=True)
        try:
            connection = session.remote_proxy_connection_string
            env = build_env({"FLAGS": {**spec, "remote_proxy_connection_string": connection}}, ctx)
            out = {"class": type(env["FLAGS"]).__name__, "get": await env["FLAGS"].get("beta")}
            out["list"] = dict(await env["FLAGS"].list())
            out["retries_after_reads"] = session.relay.stats.retries
            try:
                await env["FLAGS"].put("beta", "off")
                out["put"] = "succeeded"
            except Exception as exc:
                out["put"] = type(exc).__name__
            out["retries_after_write"] = session.relay.stats.retries
        finally:
            await ctx.dispose()
            await session.dispose()
        out["dropped"], out["answered"] = dropped, calls
        print(json.dumps(out))

    asyncio.run(main())
    server.shutdown()
    """
)


def test_remote_adapter_reads_are_retried_through_the_relay_writes_are_not(built, tmp_path):
    venv, _ = built
    script = tmp_path / "remote_check.py"
    script.write_text(STAND_IN)
    result = subprocess.run(
        [str(venv / "bin" / "python"), str(script)], cwd=tmp_path, env=environ(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["class"] == "RemoteFeatureFlags"  # the plugin's own remote adapter, not the generic one
    assert out["get"] == "remote-on" and out["list"] == {"keys": ["beta"]}
    assert out["retries_after_reads"] == 2  # get and list each died once and were sent again
    assert out["put"] != "succeeded" and out["retries_after_write"] == 2  # a write is never resent
    assert out["dropped"] == ["get", "list", "put"] and out["answered"] == ["get", "list"]


def test_dev_refuses_to_start_when_the_plugin_for_a_key_is_missing(built, tmp_path):
    venv, plugin = built
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text((plugin / "tests" / "src" / "entry.py").read_text())
    (tmp_path / "wrangler.toml").write_text(
        f'name = "app"\nmain = "src/entry.py"\ncompatibility_date = "2026-05-01"\n\n[[{NAME}]]\nbinding = "FLAGS"\n'
    )
    result = flarebind(venv, "dev", "--port", "0", cwd=tmp_path, FLAREBIND_DISABLE_PLUGINS=NAME)
    assert result.returncode == 1
    assert f'"{NAME}" bindings are configured, but the flarebind plugin that provides them ({DIST}) is disabled' in (
        result.stderr
    )
    assert "Ready on" not in result.stdout
