"""Record and replay: a session recorded against the real proxy worker under ``wrangler dev`` (workerd's KV, R2,
D1 and a service), then replayed with the proxy stopped and no credentials: identical results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flarebind.platform import platform_proxy
from flarebind.remote.cassette import Cassette, CassetteMismatch

pytestmark = [pytest.mark.wrangler, pytest.mark.remote]

CONFIG = """\
name = "cassette-test"
main = "entry.py"
compatibility_date = "2025-09-01"

[[kv_namespaces]]
binding = "FB_KV_0"
id = "kv-id"
remote = true

[[r2_buckets]]
binding = "FB_R2_0"
bucket_name = "bucket"
remote = true

[[d1_databases]]
binding = "FB_DB_0"
database_name = "db"
database_id = "00000000-0000-4000-8000-000000000000"
remote = true

[[services]]
binding = "FB_SVC"
service = "flarebind-test-target"
remote = true
"""
BIG = bytes(range(256)) * 512  # 128 KiB: over the streaming threshold and the inline limit, so a side file
API_TOKEN = "sentinel-api-token-0123456789abcdef"


async def workload(env):
    await env.FB_KV_0.put("greeting", "hello")
    greeting = await env.FB_KV_0.get("greeting")
    await env.FB_R2_0.put("blob", BIG)
    obj = await env.FB_R2_0.get("blob")
    body = bytes(await obj.arrayBuffer())
    db = env.FB_DB_0
    batch = await db.batch([db.prepare("SELECT ? AS n").bind(1), db.prepare("SELECT ? || ? AS s").bind("a", "b")])
    rows = [r["results"] for r in batch]
    total = await env.FB_SVC.add(2, 3)
    return greeting, body, rows, total


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    (tmp_path / "entry.py").write_text("async def on_fetch(request, env):\n    return None\n")
    return tmp_path


@pytest.fixture
def own_proxy(tmp_path: Path):
    from flarebind.testing.remote_proxy import start_dev_proxy

    proxy = start_dev_proxy(tmp_path / "proxy-run")
    yield proxy
    proxy.stop()


def clear_credentials(monkeypatch):
    for name in (
        "FLAREBIND_REMOTE_PROXY_URL",
        "FLAREBIND_REMOTE_PROXY_SECRET",
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_ACCOUNT_ID",
    ):
        monkeypatch.delenv(name, raising=False)


async def test_record_then_replay_offline_gives_identical_results(project, own_proxy, monkeypatch):
    cassette = project / "cassettes" / "session.json"
    monkeypatch.setenv("FLAREBIND_REMOTE_PROXY_URL", own_proxy.url)
    monkeypatch.setenv("FLAREBIND_REMOTE_PROXY_SECRET", own_proxy.secret)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", API_TOKEN)
    async with platform_proxy(project / "wrangler.toml", in_memory=True, record=cassette) as proxy:
        recorded = await workload(proxy.env)
        connection = proxy.session.remote_proxy_connection_string
    assert recorded[0] == "hello" and recorded[1] == BIG and recorded[3] == 5
    assert recorded[2] == [[{"n": 1}], [{"s": "ab"}]]

    own_proxy.stop()  # nothing to reach any more
    clear_credentials(monkeypatch)
    async with platform_proxy(project / "wrangler.toml", in_memory=True, replay=cassette) as proxy:
        replayed = await workload(proxy.env)
    assert replayed == recorded

    # readable JSON, bodies over the threshold in side files, and no secret anywhere
    data = json.loads(cassette.read_text())
    assert data["version"] == 1
    calls = [(i["request"]["binding"], i["request"]["calls"][-1].get("call")) for i in data["interactions"]]
    assert ("FB_KV_0", "put") in calls and ("FB_R2_0", "put") in calls and ("FB_SVC", "add") in calls
    side_files = list((cassette.parent / "session.json.bodies").iterdir())
    assert side_files and all(f.stat().st_size == len(BIG) for f in side_files)
    everything = cassette.read_bytes() + b"".join(f.read_bytes() for f in side_files)
    secret_path = [part for part in str(connection).split("/") if len(part) >= 16]
    for sentinel in [own_proxy.secret, API_TOKEN, *secret_path]:
        assert sentinel.encode() not in everything, sentinel


async def test_an_unmatched_call_names_the_call_and_the_nearest_recorded_one(project, own_proxy, monkeypatch):
    cassette = project / "c.json"
    monkeypatch.setenv("FLAREBIND_REMOTE_PROXY_URL", own_proxy.url)
    monkeypatch.setenv("FLAREBIND_REMOTE_PROXY_SECRET", own_proxy.secret)
    async with platform_proxy(project / "wrangler.toml", in_memory=True, record=cassette) as proxy:
        await proxy.env.FB_KV_0.put("a", "1")
        await proxy.env.FB_KV_0.get("a")
    clear_credentials(monkeypatch)
    async with platform_proxy(project / "wrangler.toml", in_memory=True, replay=cassette) as proxy:
        await proxy.env.FB_KV_0.put("a", "1")
        with pytest.raises(CassetteMismatch) as info:
            await proxy.env.FB_KV_0.get("b")
    message = str(info.value)
    assert 'call 2 of this replay, FB_KV_0.get("b"), matches no recorded call' in message
    assert 'Next recorded call: FB_KV_0.get("a") (interaction 2).' in message


def write_cassette(path: Path, requests: list[tuple[str, list]]) -> None:
    interactions = [
        {
            "request": {"binding": b, "calls": calls, "body": None},
            "response": {"status": 200, "content_type": "application/json", "envelope": {"result": i}, "body": None},
        }
        for i, (b, calls) in enumerate(requests)
    ]
    path.write_text(json.dumps({"version": 1, "interactions": interactions}))


async def test_order_independent_matching(project, monkeypatch):
    clear_credentials(monkeypatch)
    cassette = project / "unordered.json"
    write_cassette(
        cassette,
        [("FB_KV_0", [{"call": "get", "args": ["x"]}]), ("FB_KV_0", [{"call": "get", "args": ["y"]}])],
    )
    from flarebind.remote.cassette import ReplaySession
    from flarebind.remote.channel import channel_from_connection_string

    ordered = ReplaySession(Cassette.load(cassette))
    async with channel_from_connection_string(ordered.remote_proxy_connection_string) as channel:
        with pytest.raises(CassetteMismatch) as info:
            await channel.call("FB_KV_0", [{"call": "get", "args": ["y"]}])
        assert 'Next recorded call: FB_KV_0.get("x") (interaction 1).' in str(info.value)
        assert 'Nearest recorded call: FB_KV_0.get("y") (interaction 2).' in str(info.value)
    await ordered.dispose()

    unordered = ReplaySession(Cassette.load(cassette), ordered=False)
    async with channel_from_connection_string(unordered.remote_proxy_connection_string) as channel:
        assert await channel.call("FB_KV_0", [{"call": "get", "args": ["y"]}]) == 1
        assert await channel.call("FB_KV_0", [{"call": "get", "args": ["x"]}]) == 0
        with pytest.raises(CassetteMismatch, match="every recorded call was already replayed"):
            await channel.call("FB_KV_0", [{"call": "get", "args": ["x"]}])
    await unordered.dispose()


async def test_replay_order_from_the_environment(project, monkeypatch):
    clear_credentials(monkeypatch)
    cassette = project / "unordered.json"
    write_cassette(
        cassette,
        [("FB_KV_0", [{"call": "get", "args": ["x"]}]), ("FB_KV_0", [{"call": "get", "args": ["y"]}])],
    )
    monkeypatch.setenv("FLAREBIND_REPLAY_ORDER", "any")
    async with platform_proxy(project / "wrangler.toml", in_memory=True, replay=cassette) as proxy:
        # the stand-in answers are the interaction indexes; KV's remote adapter returns them as given
        assert await proxy.env.FB_KV_0.get("y") == 1
        assert await proxy.env.FB_KV_0.get("x") == 0
    monkeypatch.setenv("FLAREBIND_REPLAY_ORDER", "sometimes")
    from flarebind.remote.cassette import CassetteError

    with pytest.raises(CassetteError, match='FLAREBIND_REPLAY_ORDER must be "recorded" or "any"'):
        async with platform_proxy(project / "wrangler.toml", in_memory=True, replay=cassette):
            pass


def test_a_missing_cassette_says_how_to_record_it(tmp_path):
    from flarebind.remote.cassette import CassetteError

    with pytest.raises(CassetteError, match=r"record it first \(flarebind dev --record"):
        Cassette.load(tmp_path / "none.json")


USER_TEST = """\
import pytest


@pytest.mark.flarebind_cassette("kv-roundtrip")
async def test_kv(env):
    await env.FB_KV_0.put("user-key", "user-value")
    assert await env.FB_KV_0.get("user-key") == "user-value"
"""


def run_pytest(project: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--asyncio-mode=auto", *args]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600)


def test_the_pytest_marker_records_once_then_replays_offline(project, own_proxy):
    (project / "test_user.py").write_text(USER_TEST)
    (project / "pytest.ini").write_text("[pytest]\n")  # the project is its own rootdir
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FLAREBIND_", "CLOUDFLARE_"))}
    online = {**base, "FLAREBIND_REMOTE_PROXY_URL": own_proxy.url, "FLAREBIND_REMOTE_PROXY_SECRET": own_proxy.secret}

    missing = run_pytest(project, env=base)
    assert missing.returncode == 1 and "record it once with --flarebind-record" in missing.stdout

    recorded = run_pytest(project, "--flarebind-record", env=online)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    cassette = project / "cassettes" / "kv-roundtrip.json"
    assert [i["request"]["calls"][0]["call"] for i in json.loads(cassette.read_text())["interactions"]] == [
        "put",
        "get",
    ]

    own_proxy.stop()
    replayed = run_pytest(project, env=base)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "1 passed" in replayed.stdout
