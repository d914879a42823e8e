"""The npm packages the test tooling and benchmarks need (wrangler, miniflare), installed once into a cache.

``ensure_node_packages()`` returns the folder holding ``node_modules``; it installs the pinned versions there on
first use (``npm install``), guarded by a file lock so parallel test processes share one install. The cache is
``$FLAREBIND_NODE_CACHE`` or ``~/.cache/flarebind-node``. Versions are pinned to the newest that run on Node 20.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

WRANGLER_VERSION = "4.86.0"
MINIFLARE_VERSION = "4.20260426.0"
# workerd bundled with miniflare 4.20260426.0 accepts compatibility dates up to this one
NEWEST_COMPAT_DATE = "2026-05-03"


class NodeUnavailable(RuntimeError):
    """node/npm are missing or the install failed; the message says which and how to fix it."""


def cache_dir() -> Path:
    base = os.environ.get("FLAREBIND_NODE_CACHE") or os.path.expanduser("~/.cache/flarebind-node")
    return Path(base) / f"w{WRANGLER_VERSION}"


def node_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """An environment for running wrangler offline and quietly: no metrics, no update check, no cf.json fetch."""
    env = dict(os.environ)
    env.update(
        WRANGLER_SEND_METRICS="false",
        WRANGLER_SEND_ERROR_REPORTS="false",
        CLOUDFLARE_CF_FETCH_ENABLED="false",
        WRANGLER_HIDE_BANNER="true",
        NO_COLOR="1",
        npm_registry="http://127.0.0.1:9/",
        CI="true",
    )
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL"):
        env.pop(name, None)
    if extra:
        env.update(extra)
    return env


def ensure_node_packages() -> Path:
    """Install wrangler and miniflare (pinned) into the cache if needed; return the folder with node_modules."""
    root = cache_dir()
    marker = root / ".installed"
    if marker.exists():
        return root
    if not shutil.which("node") or not shutil.which("npm"):
        raise NodeUnavailable("node and npm are needed for the wrangler/miniflare tests and benchmarks")
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return root
        (root / "package.json").write_text('{"name": "flarebind-node-cache", "private": true}\n')
        proc = subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                f"wrangler@{WRANGLER_VERSION}",
                f"miniflare@{MINIFLARE_VERSION}",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            env={**os.environ, "WRANGLER_SEND_METRICS": "false"},
        )
        if proc.returncode != 0:
            raise NodeUnavailable(f"npm install failed in {root}:\n{proc.stdout}\n{proc.stderr}")
        marker.write_text(f"wrangler@{WRANGLER_VERSION} miniflare@{MINIFLARE_VERSION}\n")
    return root


def wrangler_command() -> list[str]:
    """``[node, …/wrangler/bin/wrangler.js]`` (SIGINT to this process stops wrangler and its workerd children)."""
    root = ensure_node_packages()
    return [shutil.which("node") or "node", str(root / "node_modules" / "wrangler" / "bin" / "wrangler.js")]
