"""A Python Worker with a ``[[vectorize]]`` binding and no ``remote``: it runs on the local index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from flarebind import Runtime

FLAREBIND = str(Path(sys.executable).with_name("flarebind"))

WORKER = """
import json
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        await self.env.VECTORIZE.upsert([
            {"id": "jazz", "values": [1.0, 0.0, 0.0], "metadata": {"genre": "jazz"}},
            {"id": "rock", "values": [0.0, 1.0, 0.0], "metadata": {"genre": "rock"}},
        ])
        result = await self.env.VECTORIZE.query([0.9, 0.1, 0.0], {"topK": 1, "returnMetadata": "all"})
        match = result.matches[0]
        return Response(json.dumps({"id": match.id, "genre": match.metadata["genre"], "count": result.count}))
"""


async def test_worker_uses_the_local_index_created_by_the_cli(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "wrangler.toml").write_text(
        'name = "vec-worker"\nmain = "src/entry.py"\ncompatibility_date = "2026-05-01"\n\n'
        '[[vectorize]]\nbinding = "VECTORIZE"\nindex_name = "songs"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    created = subprocess.run(
        [FLAREBIND, "vectorize", "create", "songs", "--dimensions", "3", "--metric", "cosine"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stderr
    async with Runtime.from_config(tmp_path / "wrangler.toml") as rt:
        response = await rt.dispatch_fetch("http://localhost/")
        assert json.loads(await response.text()) == {"id": "jazz", "genre": "jazz", "count": 1}
    # the Worker's writes are in the state folder the CLI reads
    info = subprocess.run(
        [FLAREBIND, "vectorize", "info", "songs", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert json.loads(info.stdout)["vectorCount"] == 2
