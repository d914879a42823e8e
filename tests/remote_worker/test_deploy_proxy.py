"""``flarebind remote deploy-proxy``: the dry-run writer (a real CLI process) and the API upload (a local stand-in)."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flarebind.remote.deploy_proxy import DeployProxyError, deploy_proxy, proxy_worker_source
from flarebind.testing.remote_proxy import flarebind_cli

CONFIG = """\
name = "shop"
main = "src/entry.py"
compatibility_date = "2025-09-01"

[[kv_namespaces]]
binding = "LOCAL_KV"
id = "stays-local"

[env.staging]
[[env.staging.kv_namespaces]]
binding = "CACHE"
id = "kv-prod"
preview_id = "kv-preview"
remote = true

[[env.staging.r2_buckets]]
binding = "FILES"
bucket_name = "files"
remote = true

[[env.staging.d1_databases]]
binding = "DB"
database_name = "shop"
database_id = "db-1"
remote = true

[env.staging.ai]
binding = "AI"
"""


def _jsonc(path):
    return json.loads("\n".join(line for line in path.read_text().splitlines() if not line.startswith("//")))


def run_cli(*args, cwd=None):
    return subprocess.run([*flarebind_cli(), *args], capture_output=True, text=True, cwd=cwd)


def test_dry_run_writes_the_worker_and_a_config_with_the_envs_remote_bindings(tmp_path):
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    out = tmp_path / "proxy"
    proc = run_cli(
        "remote",
        "deploy-proxy",
        "-c",
        str(tmp_path / "wrangler.toml"),
        "-e",
        "staging",
        "--dry-run",
        "--outdir",
        str(out),
        "--secret",
        "s3cret-value",
    )
    assert proc.returncode == 0, proc.stderr
    assert "s3cret-value" not in proc.stdout + proc.stderr  # never printed
    assert (out / "proxy.js").read_text() == proxy_worker_source()
    config = _jsonc(out / "wrangler.jsonc")
    assert config["name"] == "flarebind-proxy-shop-staging"
    assert config["main"] == "proxy.js"
    assert config["compatibility_date"] <= "2026-05-03"
    # dev conversion: the preview namespace, and no `remote` inside the proxy's own config
    assert config["kv_namespaces"] == [{"binding": "CACHE", "id": "kv-preview"}]
    assert config["r2_buckets"] == [{"binding": "FILES", "bucket_name": "files"}]
    assert config["d1_databases"] == [{"binding": "DB", "database_name": "shop", "database_id": "db-1"}]
    assert config["ai"] == {"binding": "AI"}  # always-remote even without `remote = true`
    assert config["vars"]["FLAREBIND_PROXY_SECRET"] == "s3cret-value"
    assert "LOCAL_KV" not in json.dumps(config)
    assert (out / ".dev.vars").read_text() == 'FLAREBIND_PROXY_SECRET="s3cret-value"\n'
    assert (out / "proxy-secret.txt").stat().st_mode & 0o077 == 0


def test_dry_run_generates_a_secret_when_none_is_given(tmp_path):
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    out = tmp_path / "proxy"
    proc = run_cli(
        "remote",
        "deploy-proxy",
        "-c",
        str(tmp_path / "wrangler.toml"),
        "-e",
        "staging",
        "--dry-run",
        "--outdir",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    secret = (out / "proxy-secret.txt").read_text().strip()
    assert len(secret) >= 40
    assert secret not in proc.stdout
    assert _jsonc(out / "wrangler.jsonc")["vars"]["FLAREBIND_PROXY_SECRET"] == secret


def test_no_remote_bindings_is_a_clear_error(tmp_path):
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    proc = run_cli(
        "remote", "deploy-proxy", "-c", str(tmp_path / "wrangler.toml"), "--dry-run", "--outdir", str(tmp_path / "o")
    )
    assert proc.returncode == 1
    assert "no remote bindings" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_dry_run_needs_an_outdir(tmp_path):
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    proc = run_cli("remote", "deploy-proxy", "-c", str(tmp_path / "wrangler.toml"), "-e", "staging", "--dry-run")
    assert proc.returncode == 2
    assert "--dry-run needs --outdir" in proc.stderr


def test_deploying_without_credentials_names_what_is_missing(tmp_path):
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    proc = subprocess.run(
        [*flarebind_cli(), "remote", "deploy-proxy", "-c", str(tmp_path / "wrangler.toml"), "-e", "staging"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 1
    assert "CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN" in proc.stderr


class _StandIn:
    """The three Cloudflare API endpoints a deploy uses, on 127.0.0.1, recording each request."""

    def __init__(self, fail_upload_code: int | None = None) -> None:
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _any(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                stand_in.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                if self.headers.get("authorization") != "Bearer tok":
                    return self._reply(
                        403, {"success": False, "errors": [{"code": 10000, "message": "Authentication error"}]}
                    )
                if self.command == "PUT" and re.fullmatch(r"/client/v4/accounts/acc/workers/scripts/[\w-]+", self.path):
                    if fail_upload_code:
                        return self._reply(
                            400, {"success": False, "errors": [{"code": fail_upload_code, "message": "nope"}]}
                        )
                    return self._reply(200, {"success": True, "result": {"id": "x"}})
                if self.command == "POST" and self.path.endswith("/subdomain"):
                    return self._reply(200, {"success": True, "result": {"enabled": True}})
                if self.command == "GET" and self.path == "/client/v4/accounts/acc/workers/subdomain":
                    return self._reply(200, {"success": True, "result": {"subdomain": "team"}})
                return self._reply(404, {"success": False, "errors": [{"code": 7003, "message": "No route"}]})

            do_GET = do_PUT = do_POST = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/client/v4"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


async def test_deploy_uploads_the_worker_with_ordinary_bindings_and_the_secret():
    api = _StandIn()
    try:
        url, secret = await deploy_proxy(
            {
                "CACHE": {"type": "kv_namespace", "id": "kv-1", "remote": True},
                "FILES": {"type": "r2_bucket", "bucket_name": "files"},
            },
            name="flarebind-proxy-shop",
            secret="sek",
            account_id="acc",
            api_token="tok",
            api_base=api.base,
        )
    finally:
        api.close()
    assert (url, secret) == ("https://flarebind-proxy-shop.team.workers.dev", "sek")
    upload = api.requests[0]
    assert (upload["method"], upload["path"]) == ("PUT", "/client/v4/accounts/acc/workers/scripts/flarebind-proxy-shop")
    message = BytesParser(policy=HTTP).parsebytes(
        b"content-type: " + upload["headers"]["Content-Type"].encode() + b"\r\n\r\n" + upload["body"]
    )
    parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
    metadata = json.loads(parts["metadata"].get_content())
    assert metadata["main_module"] == "proxy.js"
    assert metadata["bindings"] == [
        {"name": "CACHE", "type": "kv_namespace", "namespace_id": "kv-1"},
        {"name": "FILES", "type": "r2_bucket", "bucket_name": "files"},
        {"type": "secret_text", "name": "FLAREBIND_PROXY_SECRET", "text": "sek"},
    ]
    assert not any(b.get("raw") for b in metadata["bindings"])
    assert parts["proxy.js"].get_content_type() == "application/javascript+module"
    assert [r["path"] for r in api.requests[1:]] == [
        "/client/v4/accounts/acc/workers/scripts/flarebind-proxy-shop/subdomain",
        "/client/v4/accounts/acc/workers/subdomain",
    ]


async def test_deploy_maps_api_auth_errors_to_a_clear_message():
    api = _StandIn()
    try:
        with pytest.raises(DeployProxyError, match=r"Authentication error \[code: 10000\].*Workers Scripts Write"):
            await deploy_proxy(
                {"CACHE": {"type": "kv_namespace", "id": "kv-1"}},
                name="p",
                account_id="acc",
                api_token="bad",
                api_base=api.base,
            )
    finally:
        api.close()
