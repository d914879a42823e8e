from __future__ import annotations

from pathlib import Path

import pytest
from flarebind.bindings.context import LocalContext
from flarebind_r2.local import make_local


@pytest.fixture
async def open_bucket(tmp_path):
    """``open_bucket(name="bucket", persist_to=tmp_path/"state", **ctx_kwargs)`` -> an R2Bucket; contexts are
    disposed at teardown."""
    contexts: list[LocalContext] = []

    def open_(bucket_name: str = "bucket", persist_to: Path | None = None, **ctx_kwargs):
        if not ctx_kwargs.get("in_memory"):
            ctx_kwargs.setdefault("persist_to", persist_to or tmp_path / "state")
        ctx = LocalContext(project_dir=tmp_path, **ctx_kwargs)
        contexts.append(ctx)
        return make_local("BUCKET", {"type": "r2_bucket", "bucket_name": bucket_name}, ctx)

    yield open_
    for ctx in contexts:
        await ctx.dispose()
