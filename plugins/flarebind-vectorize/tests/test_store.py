"""The on-disk index: persistence, sharing between processes, crash safety of creation, incremental updates."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from flarebind.plugin import LocalContext
from flarebind_vectorize.errors import IndexExists, IndexNotFound
from flarebind_vectorize.local import catalog_for, make_local
from flarebind_vectorize.store import Catalog


async def test_state_persists_across_contexts(tmp_path):
    ctx = LocalContext(persist_to=tmp_path)
    catalog_for(ctx).create("keep", 4, "euclidean")
    index = make_local("V", {"index_name": "keep"}, ctx)
    await index.upsert([{"id": str(i), "values": [i, 0, 0, 1], "metadata": {"i": i}} for i in range(10)])
    await ctx.dispose()

    ctx2 = LocalContext(persist_to=tmp_path)
    again = make_local("V", {"index_name": "keep"}, ctx2)
    assert (await again.describe())["vectorCount"] == 10
    result = await again.query([3, 0, 0, 1], topK=2, returnMetadata="all")
    assert (result["matches"][0]["id"], result["matches"][0]["metadata"]) == ("3", {"i": 3})
    await ctx2.dispose()
    assert sorted(p.name for p in (tmp_path / "v3" / "vectorize").iterdir() if p.suffix == ".sqlite") == ["keep.sqlite"]


async def test_in_memory_context_writes_nothing(tmp_path):
    ctx = LocalContext(in_memory=True, project_dir=tmp_path)
    catalog_for(ctx).create("mem", 2, "cosine")
    index = make_local("V", {"index_name": "mem"}, ctx)
    await index.insert([{"id": "a", "values": [1, 0]}])
    assert (await index.query([1, 0]))["count"] == 1
    with pytest.raises(IndexExists):
        catalog_for(ctx).create("mem", 2, "cosine")
    await ctx.dispose()
    assert list(tmp_path.iterdir()) == []


def test_create_never_overwrites_and_leaves_no_partial_file(tmp_path):
    catalog = Catalog(tmp_path)
    catalog.create("one", 3, "cosine")
    with pytest.raises(IndexExists):
        Catalog(tmp_path).create("one", 5, "euclidean")
    assert catalog.open("one").info()["dimensions"] == 3
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))] == ["one.sqlite"]
    with pytest.raises(ValueError):
        catalog.create("two", 0, "cosine")
    with pytest.raises(ValueError):
        catalog.create("two", 3, "manhattan")
    catalog.close()


def test_a_second_process_sees_writes_incrementally(tmp_path):
    """Two processes share one index: each replays the other's writes from the change log (no full reload)."""
    catalog = Catalog(tmp_path)
    catalog.create("shared", 3, "dot-product")
    store = catalog.open("shared")
    rng = np.random.default_rng(5)
    rows = [(f"p{i}", rng.standard_normal(3).astype(np.float32), None, None) for i in range(50)]
    store.write_vectors(rows, replace=True)
    matrix_before = store.matrix
    child = textwrap.dedent(
        f"""
        import numpy as np
        from flarebind_vectorize.store import Catalog
        store = Catalog({str(tmp_path)!r}).open("shared")
        store.create_metadata_index("tag", "string")
        store.write_vectors([("child", np.array([9, 9, 9], np.float32), "ns", '{{"tag": "c"}}')], replace=False)
        store.delete_vectors(["p0", "p1"])
        print(store.info()["vectorCount"])
        """
    )
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "49"
    info = store.info()
    assert info["vectorCount"] == 49 and info["metadataIndexes"] == {"tag": "string"}
    assert store.matrix is matrix_before  # updated in place, not reloaded
    from flarebind_vectorize.validation import query_options

    hits = store.search(np.array([1, 1, 1], np.float32), query_options({"filter": {"tag": "c"}, "topK": 3}, {}))
    assert [(h["id"], h["namespace"]) for h in hits] == [("child", "ns")]
    assert store.matrix.values_of("p0") is None
    catalog.close()


def test_deleted_index_is_reported_to_an_open_store(tmp_path):
    catalog = Catalog(tmp_path)
    catalog.create("gone", 2, "cosine")
    store = catalog.open("gone")
    Catalog(tmp_path).delete("gone")  # another catalog (another process) deletes it
    with pytest.raises(IndexNotFound):
        store.info()
    with pytest.raises(IndexNotFound):
        catalog.open("gone")
    catalog.close()


def test_a_write_batch_is_atomic(tmp_path):
    """A batch that fails half-way (here: a trigger aborting on one row) leaves nothing behind, values included."""
    catalog = Catalog(tmp_path)
    catalog.create("atomic", 2, "cosine")
    store = catalog.open("atomic")
    store.conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON vectors WHEN NEW.id = 'bad' BEGIN SELECT RAISE(ABORT, 'x'); END"
    )
    rows = [(vid, np.array([1, 0], np.float32), None, None) for vid in ("ok1", "bad", "ok2")]
    with pytest.raises(Exception, match="x"):
        store.write_vectors(rows, replace=True)
    assert store.conn.execute("SELECT count(*) FROM vectors").fetchone()[0] == 0
    assert store.conn.execute("SELECT count(*) FROM segments").fetchone()[0] == 0
    assert len(store.matrix) == 0
    catalog.close()


def test_segments_are_dropped_when_their_last_vector_leaves(tmp_path):
    catalog = Catalog(tmp_path)
    catalog.create("gc", 2, "euclidean")
    store = catalog.open("gc")
    one = np.array([1, 0], np.float32)
    store.write_vectors([("a", one, None, None), ("b", one, None, None)], replace=True)
    store.write_vectors([("a", one * 2, None, None)], replace=True)  # a moves to a new segment
    segments = lambda: store.conn.execute("SELECT id, live FROM segments ORDER BY id").fetchall()  # noqa: E731
    assert [live for _, live in segments()] == [1, 1]
    store.delete_vectors(["b"])  # the first segment's last row
    assert [live for _, live in segments()] == [1]
    store.write_vectors([("a", one * 3, None, None)], replace=True)
    assert [live for _, live in segments()] == [1]
    assert store.get_vectors(["a"])[0][2] == [3.0, 0.0]
    catalog.close()
