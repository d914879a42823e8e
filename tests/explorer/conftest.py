"""Projects and servers for the explorer tests: a flarebind project with KV, R2 and D1, and `flarebind dev` on it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from e2e.devproc import DevProcess

D1_ID = "00000000-0000-0000-0000-0000000000d1"
BINDINGS = f"""
[[kv_namespaces]]
binding = "KV"
id = "explorer-kv"

[[r2_buckets]]
binding = "BUCKET"
bucket_name = "explorer-bucket"

[[d1_databases]]
binding = "DB"
database_name = "explorer-db"
database_id = "{D1_ID}"
"""

PY_WORKER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        value = await self.env.KV.get("greeting")
        return Response(str(value))
"""


def write_project(folder: Path, name: str = "explorer-app") -> Path:
    (folder / "src").mkdir(parents=True, exist_ok=True)
    (folder / "src" / "entry.py").write_text(PY_WORKER)
    (folder / "wrangler.toml").write_text(
        f'name = "{name}"\nmain = "src/entry.py"\ncompatibility_date = "2026-05-01"\ncompatibility_flags = '
        f'["python_workers"]\n{BINDINGS}'
    )
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "app")


@pytest.fixture
def dev(project: Path) -> Iterator[DevProcess]:
    proc = DevProcess(project, "--persist-to", str(project / "state"))
    try:
        proc.wait_for_output("Ready on")
        yield proc
    finally:
        proc.stop()
