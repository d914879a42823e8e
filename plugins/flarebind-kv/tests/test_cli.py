"""``flarebind kv …`` as real processes: wrangler's namespace choice, outputs, bulk files and errors."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flarebind.testing.wrangler import run_wrangler

FLAREBIND = str(Path(sys.executable).with_name("flarebind"))
LOCAL_BANNER = "Resource location: local \n\nUse --remote if you want to access the remote instance.\n\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "wrangler.toml").write_text(
        'name = "cli"\ncompatibility_date = "2026-05-01"\n\n'
        '[[kv_namespaces]]\nbinding = "KV"\nid = "main-id"\n\n'
        '[[kv_namespaces]]\nbinding = "BOTH"\nid = "both-id"\npreview_id = "both-preview"\n\n'
        '[env.staging]\n[[env.staging.kv_namespaces]]\nbinding = "KV"\nid = "staging-id"\n'
    )
    return tmp_path


def fb(cwd: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("CLOUDFLARE_API_TOKEN", None)
    env.pop("CLOUDFLARE_ACCOUNT_ID", None)
    env.pop("CLOUDFLARE_ENV", None)
    return subprocess.run(
        [FLAREBIND, "kv", *args], cwd=cwd, env=env, capture_output=True, text=True, input=input, timeout=120
    )


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_key_put_get_list_delete(project):
    out = ok(fb(project, "key", "put", "--binding", "KV", "greeting", "hello", "--metadata", '{"a":1}'))
    assert (
        out == LOCAL_BANNER + 'Writing the value "hello" to key "greeting" on namespace binding: "KV" '
        '(id: "main-id") with metadata "{"a":1}".\n'
    )
    assert ok(fb(project, "key", "get", "--binding", "KV", "greeting")) == "hello"
    assert ok(fb(project, "key", "get", "--binding", "KV", "greeting", "--text")) == "hello\n"
    assert ok(fb(project, "key", "get", "--binding", "KV", "missing")) == "Value not found\n"
    ok(fb(project, "key", "put", "--binding", "KV", "other", "x", "--ttl", "600"))
    listed = json.loads(ok(fb(project, "key", "list", "--binding", "KV")))
    assert [k["name"] for k in listed] == ["greeting", "other"]
    assert listed[0] == {"name": "greeting", "metadata": {"a": 1}}
    assert isinstance(listed[1]["expiration"], int)
    assert json.loads(ok(fb(project, "key", "list", "--binding", "KV", "--prefix", "oth")))[0]["name"] == "other"
    out = ok(fb(project, "key", "delete", "--binding", "KV", "greeting"))
    assert out == LOCAL_BANNER + 'Deleting the key "greeting" on namespace binding: "KV" (id: "main-id").\n'
    assert ok(fb(project, "key", "get", "--binding", "KV", "greeting")) == "Value not found\n"
    # the state is wrangler's, next to the config
    assert (project / ".wrangler" / "state" / "v3" / "kv" / "main-id" / "blobs").is_dir()


def test_put_from_a_file_and_binary_get(project):
    (project / "blob.bin").write_bytes(b"\x00\xffbinary")
    out = ok(fb(project, "key", "put", "--namespace-id", "raw-id", "b", "--path", "blob.bin"))
    assert out.endswith('Writing the contents of blob.bin to the key "b" on namespace id: "raw-id".\n')
    proc = subprocess.run(
        [FLAREBIND, "kv", "key", "get", "--namespace-id", "raw-id", "b"], cwd=project, capture_output=True
    )
    assert proc.stdout == b"\x00\xffbinary"


def test_namespace_id_without_a_config(tmp_path):
    state = tmp_path / "elsewhere"
    ok(fb(tmp_path, "key", "put", "--namespace-id", "loose", "k", "v", "--persist-to", str(state)))
    assert ok(fb(tmp_path, "key", "get", "--namespace-id", "loose", "k", "--persist-to", str(state))) == "v"
    assert (state / "v3" / "kv" / "loose" / "blobs").is_dir()
    proc = fb(tmp_path, "key", "get", "--binding", "KV", "k")
    assert proc.returncode == 1
    assert "--binding specified, but no config file was found." in proc.stderr


def test_preview_and_environment_selection(project):
    proc = fb(project, "key", "put", "--binding", "BOTH", "k", "v")
    assert proc.returncode == 1
    assert "BOTH has both a namespace ID and a preview ID." in proc.stderr
    out = ok(fb(project, "key", "put", "--binding", "BOTH", "--preview", "k", "p"))
    assert 'on namespace binding: "BOTH" (id: "both-preview")' in out
    ok(fb(project, "key", "put", "--binding", "BOTH", "--no-preview", "k", "main"))
    assert ok(fb(project, "key", "get", "--binding", "BOTH", "k")) == "main"  # get defaults to --no-preview
    assert ok(fb(project, "key", "get", "--binding", "BOTH", "--preview", "k")) == "p"
    proc = fb(project, "key", "get", "--binding", "KV", "--preview", "k")
    assert proc.returncode == 1
    assert (
        "No preview ID found for KV. Add one to your wrangler config file to use a separate namespace for "
        "previewing your worker."
    ) in proc.stderr
    out = ok(fb(project, "key", "put", "-e", "staging", "--binding", "KV", "k", "s"))
    assert '(id: "staging-id")' in out
    assert ok(fb(project, "key", "get", "--namespace-id", "staging-id", "k")) == "s"
    proc = fb(project, "key", "get", "--binding", "NOPE", "k")
    assert proc.returncode == 1
    assert 'A namespace with binding name "NOPE" was not found in the configured "kv_namespaces".' in proc.stderr


def test_usage_errors(project):
    proc = fb(project, "key", "get", "k")
    assert proc.returncode == 2
    assert "Exactly one of the arguments binding and namespace-id is required" in proc.stderr
    proc = fb(project, "key", "get", "--binding", "KV", "--namespace-id", "x", "k")
    assert proc.returncode == 2
    proc = fb(project, "key", "put", "--binding", "KV", "k")
    assert proc.returncode == 2
    assert "Exactly one of the arguments value and path is required" in proc.stderr


def test_runtime_errors_print_cloudflare_text(project):
    proc = fb(project, "key", "put", "--binding", "KV", "k", "v", "--ttl", "5")
    assert proc.returncode == 1
    assert (
        "✘ [ERROR] KV PUT failed: 400 Invalid expiration_ttl of 5. Expiration TTL must be at least 60." in proc.stderr
    )
    proc = fb(project, "key", "put", "--binding", "KV", "", "v")
    assert proc.returncode == 1
    assert "Key name cannot be empty." in proc.stderr


def test_remote_without_a_session_is_a_clear_error(project):
    proc = fb(project, "key", "get", "--binding", "KV", "k", "--remote")
    assert proc.returncode == 1
    assert "[ERROR]" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bulk_put_get_delete(project):
    items = [
        {"key": "a", "value": "1"},
        {"key": "b", "value": base64.b64encode(b"\x00\x01hi").decode(), "base64": True},
        {"key": "c", "value": "3", "metadata": {"m": "c"}, "expiration_ttl": 3600},
    ]
    (project / "bulk.json").write_text(json.dumps(items))
    assert ok(fb(project, "bulk", "put", "--binding", "KV", "bulk.json")) == LOCAL_BANNER + "Success!\n"
    listed = json.loads(ok(fb(project, "key", "list", "--binding", "KV")))
    assert [k["name"] for k in listed] == ["a", "b", "c"]
    assert listed[2]["metadata"] == {"m": "c"} and "expiration" in listed[2]
    proc = subprocess.run([FLAREBIND, "kv", "key", "get", "--binding", "KV", "b"], cwd=project, capture_output=True)
    assert proc.stdout == b"\x00\x01hi"

    (project / "keys.json").write_text(json.dumps(["a", {"name": "c"}, "zz"]))
    out = ok(fb(project, "bulk", "get", "--binding", "KV", "keys.json"))
    body, _, tail = out.rpartition("\n\nSuccess!")
    assert json.loads(body) == {"a": {"value": "1"}, "c": {"value": "3"}, "zz": {"value": None}}
    assert tail == "\n"

    out = ok(fb(project, "bulk", "delete", "--binding", "KV", "keys.json"))
    assert (
        '? Are you sure you want to delete all the keys read from "keys.json" from kv-namespace binding: "KV" '
        '(id: "main-id")?\n🤖 Using fallback value in non-interactive context: yes\nSuccess!\n'
    ) in out
    assert [k["name"] for k in json.loads(ok(fb(project, "key", "list", "--binding", "KV")))] == ["b"]
    (project / "b.json").write_text('["b"]')
    ok(fb(project, "bulk", "delete", "--binding", "KV", "b.json", "--force"))
    assert json.loads(ok(fb(project, "key", "list", "--binding", "KV"))) == []


def test_bulk_file_errors_read_like_wranglers(project):
    (project / "bad.json").write_text(json.dumps([{"key": "a", "value": 1}, {"key": "b", "value": "ok", "x": 1}]))
    proc = fb(project, "bulk", "put", "--binding", "KV", "bad.json")
    assert proc.returncode == 1
    assert (
        'Unexpected JSON input from "bad.json".\nEach item in the array should be an object that matches:'
        in proc.stderr
    )
    assert 'The item at index 0 is {"key":"a","value":1}' in proc.stderr
    assert 'The item at index 1 contains unexpected properties: ["x"].' in proc.stderr
    (project / "obj.json").write_text("{}")
    proc = fb(project, "bulk", "put", "--binding", "KV", "obj.json")
    assert proc.returncode == 1
    assert 'Expected an array of key-value objects but got type "object".' in proc.stderr
    (project / "nums.json").write_text("[1]")
    proc = fb(project, "bulk", "get", "--binding", "KV", "nums.json")
    assert proc.returncode == 1
    assert 'The item at index 0 is type: "number" - 1' in proc.stderr


@pytest.mark.wrangler
def test_wrangler_sees_a_flarebind_cli_bulk_put(project):
    (project / "bulk.json").write_text(
        json.dumps([{"key": "w1", "value": "one", "metadata": {"k": 1}}, {"key": "w2", "value": "two"}])
    )
    ok(fb(project, "bulk", "put", "--binding", "KV", "bulk.json"))
    proc = run_wrangler(["kv", "key", "list", "--binding", "KV", "--local"], project, text=True)
    assert json.loads(proc.stdout) == [{"name": "w1", "metadata": {"k": 1}}, {"name": "w2"}]
