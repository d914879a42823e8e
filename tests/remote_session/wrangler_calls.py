"""The Cloudflare API calls a remote session makes, for wrangler 4.86.0 and for flarebind, in the same situations.

Both clients are pointed at the same API stand-in (``tests/fakes/cloudflare_api.py``) and what reaches it is
normalised (the per-session script name becomes ``<script>``, tokens become ``<token>``) so the two lists compare.
Wrangler's lists are committed in ``wrangler-4.86.0-calls.json``; regenerate them with the pinned wrangler::

    .venv/bin/python tests/remote_session/wrangler_calls.py --write

``test_wrangler_parity.py`` runs flarebind through the same cases and fails on any difference that
docs/remote-protocol.md does not list as deliberate.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/ -> `fakes` importable

from fakes.cloudflare_api import FakeCloudflareAPI  # noqa: E402

COMMITTED = HERE / "wrangler-4.86.0-calls.json"
ACCOUNT = "acc-123"
TOKEN = "good-token"
WORKER_NAME = "calls-test"

BINDINGS = {
    "KV": {"type": "kv_namespace", "id": "kv-id", "remote": True},
    "BUCKET": {"type": "r2_bucket", "bucket_name": "bucket", "remote": True},
    "DB": {"type": "d1", "database_id": "00000000-0000-4000-8000-000000000000", "remote": True},
    "SVC": {"type": "service", "service": "other-worker", "remote": True},
    "AI": {"type": "ai", "remote": True},
}
CASES: dict[str, dict[str, Any]] = {
    "start": {"bindings": BINDINGS},
    "update": {"bindings": {"KV": BINDINGS["KV"]}, "update": {"KV": BINDINGS["KV"], "AI": BINDINGS["AI"]}},
    "no-subdomain-without-terminal": {"bindings": {"KV": BINDINGS["KV"]}, "subdomain": None},
    "fedramp": {"bindings": {"KV": BINDINGS["KV"]}, "env": {"CLOUDFLARE_COMPLIANCE_REGION": "fedramp_high"}},
    "cross-account-service": {
        "bindings": {
            "SVC": {"type": "service", "service": "their-worker", "cross_account_grant": "grant-1", "remote": True}
        }
    },
}

# wrangler's side: a tiny ES module run with the pinned wrangler (written to the node cache at run time)
RUNNER = """\
import { startRemoteProxySession } from "wrangler";
const stop = setTimeout(() => { console.log("OUTCOME timeout"); process.exit(0); }, 60000);
try {
  const session = await startRemoteProxySession(JSON.parse(process.env.CALLS_BINDINGS), {
    auth: { accountId: process.env.CALLS_ACCOUNT, apiToken: { apiToken: process.env.CALLS_TOKEN } },
    workerName: process.env.CALLS_WORKER,
  });
  await session.ready;
  if (process.env.CALLS_UPDATE) {
    await session.updateBindings(JSON.parse(process.env.CALLS_UPDATE));
    await session.ready;
    await new Promise((resolve) => setTimeout(resolve, 5000)); // let a re-upload that follows the update finish
  }
  await session.dispose();
  console.log("OUTCOME ready");
} catch (e) {
  console.log("OUTCOME error " + JSON.stringify(String(e && e.message)));
}
clearTimeout(stop);
process.exit(0);
"""


@contextmanager
def stand_in(case: dict[str, Any]) -> Iterator[FakeCloudflareAPI]:
    fake = FakeCloudflareAPI(token=TOKEN, account_id=ACCOUNT).start()
    if "subdomain" in case:
        fake.subdomain = case["subdomain"]
    try:
        yield fake
    finally:
        fake.stop()


def normalise(fake: FakeCloudflareAPI, outcome: str) -> dict[str, Any]:
    calls = []
    uploads = iter(fake.uploads)
    for r in fake.requests:
        path = r["path"].split("?")[0].removeprefix("/client/v4")
        if not path.startswith(("/accounts/", "/user/")):
            continue  # preview traffic and the tail socket are not API calls
        parts = path.split("/")
        if len(parts) > 5 and parts[3:5] == ["workers", "scripts"]:
            parts[5] = "<script>"
        call: dict[str, Any] = {"method": r["method"], "path": "/".join(parts)}
        if r["headers"].get("cf-preview-upload-config-token"):
            call["cf-preview-upload-config-token"] = "<token>"
        if r["method"] == "PUT" and r["body"]:
            call["body"] = json.loads(r["body"])
        if path.endswith("/edge-preview") and r["method"] == "POST":
            upload = next(uploads, None)
            if upload is not None:
                metadata = dict(upload["metadata"])
                metadata["bindings"] = sorted(metadata.get("bindings", []), key=lambda b: b["name"])
                metadata.pop("main_module", None)  # the proxy worker's own module name; the upload part says it
                call["metadata"] = metadata
                call["session_config"] = upload["session_config"]
        calls.append(call)
    return {"calls": calls, "outcome": outcome}


def record_wrangler(name: str) -> dict[str, Any]:
    from flarebind.testing.node import ensure_node_packages, node_env

    case = CASES[name]
    root = ensure_node_packages()
    runner = root / "flarebind-calls-runner.mjs"
    runner.write_text(RUNNER)
    with stand_in(case) as fake:
        env = node_env(
            {
                "CLOUDFLARE_API_BASE_URL": f"{fake.url}/client/v4",
                "CALLS_BINDINGS": json.dumps(case["bindings"]),
                "CALLS_ACCOUNT": ACCOUNT,
                "CALLS_TOKEN": TOKEN,
                "CALLS_WORKER": WORKER_NAME,
                # wrangler reads the token from the environment as well as from `auth`
                "CLOUDFLARE_API_TOKEN": TOKEN,
                "CLOUDFLARE_ACCOUNT_ID": ACCOUNT,
                **({"CALLS_UPDATE": json.dumps(case["update"])} if "update" in case else {}),
                **case.get("env", {}),
            }
        )
        done = subprocess.run(["node", str(runner)], cwd=root, env=env, capture_output=True, text=True, timeout=180)
        lines = [line for line in done.stdout.splitlines() if line.startswith("OUTCOME ")]
        outcome = lines[-1].removeprefix("OUTCOME ") if lines else f"crashed: {done.stderr[-300:]}"
        return normalise(fake, "ready" if outcome == "ready" else outcome.split(" ", 1)[0])


async def _flarebind(case: dict[str, Any], fake: FakeCloudflareAPI) -> str:
    from flarebind.remote import Auth, start_remote_proxy_session

    try:
        session = await start_remote_proxy_session(
            case["bindings"], auth=Auth(account_id=ACCOUNT, api_token=TOKEN), worker_name=WORKER_NAME
        )
    except Exception:
        return "error"
    try:
        await session.ready
        if "update" in case:
            await session.update_bindings(case["update"])
    finally:
        await session.dispose()
    return "ready"


def record_flarebind(name: str) -> dict[str, Any]:
    case = CASES[name]
    with stand_in(case) as fake:
        saved = dict(os.environ)
        os.environ.update(
            {"CLOUDFLARE_API_BASE_URL": f"{fake.url}/client/v4", "FLAREBIND_EDGE_PREVIEW_ORIGIN": fake.url, "CI": "1"}
        )
        os.environ.update(case.get("env", {}))
        try:
            outcome = asyncio.run(_flarebind(case, fake))
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return normalise(fake, outcome)


def main() -> None:
    if "--write" not in sys.argv:
        sys.exit(__doc__)
    recorded = {name: record_wrangler(name) for name in CASES}
    COMMITTED.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
    print(f"wrote {COMMITTED}")


if __name__ == "__main__":
    main()
