"""The bulk insert path: numpy batches checked as one matrix, big SQLite pages, WAL checkpoints on a thread."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from flarebind.plugin import JsException, LocalContext
from flarebind_vectorize import checkpoint
from flarebind_vectorize.local import catalog_for, make_local
from flarebind_vectorize.store import PAGE_SIZE, Catalog
from flarebind_vectorize.validation import vectors_arg


def test_numpy_batch_is_checked_as_one_matrix_and_kept_as_one():
    rows = np.arange(12, dtype=np.float64).reshape(3, 4)
    batch = vectors_arg("VECTOR_INSERT", [{"id": f"v{i}", "values": rows[i]} for i in range(3)], 4)
    assert batch.block is not None and batch.block.dtype == np.float32
    assert np.array_equal(batch.block, rows.astype(np.float32))
    assert [r[0] for r in batch] == ["v0", "v1", "v2"]
    assert np.array_equal(batch[2][1], [8, 9, 10, 11])


@pytest.mark.parametrize(
    ("bad", "text"),
    [
        (np.array([1, np.nan, 3, 4], np.float32), "finite"),
        (np.array([1, 2, np.inf, 4]), "finite"),
        (np.array([1, 2, 3], np.float32), "expected 4 dimensions, and got 3 dimensions"),
    ],
)
def test_a_bad_row_in_a_numpy_batch_is_named(bad, text):
    good = np.ones(4, np.float32)
    vectors = [{"id": "ok1", "values": good}, {"id": "bad", "values": bad}, {"id": "ok2", "values": good}]
    with pytest.raises(JsException) as info:
        vectors_arg("VECTOR_INSERT", vectors, 4)
    assert 'id="bad"' in str(info.value) and text in str(info.value)


def test_mixed_batches_take_the_row_by_row_path():
    vectors = [{"id": "a", "values": np.ones(3)}, {"id": "b", "values": [1, 2, 3]}]
    batch = vectors_arg("VECTOR_UPSERT", vectors, 3)
    assert batch.block is None and [list(r[1]) for r in batch] == [[1, 1, 1], [1, 2, 3]]


async def test_duplicate_ids_in_a_numpy_batch_keep_insert_and_upsert_semantics(tmp_path):
    ctx = LocalContext(persist_to=tmp_path)
    catalog_for(ctx).create("dups", 2, "euclidean")
    index = make_local("V", {"index_name": "dups"}, ctx)
    first, second = np.array([1, 0], np.float32), np.array([0, 1], np.float32)
    await index.insert([{"id": "x", "values": first}, {"id": "x", "values": second}])  # insert: the first wins
    assert (await index.getByIds(["x"]))[0]["values"] == [1.0, 0.0]
    await index.upsert([{"id": "x", "values": first}, {"id": "x", "values": second}])  # upsert: the last wins
    assert (await index.getByIds(["x"]))[0]["values"] == [0.0, 1.0]
    await index.insert([{"id": "x", "values": first}, {"id": "y", "values": first}])  # x exists: only y is new
    got = {m["id"]: m["values"] for m in await index.getByIds(["x", "y"])}
    assert got == {"x": [0.0, 1.0], "y": [1.0, 0.0]}
    await ctx.dispose()


def test_background_checkpoint_moves_the_wal_into_the_database(tmp_path, monkeypatch):
    """Past CHECKPOINT_BYTES a thread checkpoints the WAL; closing the store joins it. The file uses large pages."""
    monkeypatch.setattr(checkpoint, "CHECKPOINT_BYTES", 64 * 1024)
    catalog = Catalog(tmp_path)
    catalog.create("ck", 64, "cosine")
    store = catalog.open("ck")
    rng = np.random.default_rng(1)
    for batch in range(6):
        rows = vectors_arg(
            "VECTOR_INSERT", [{"id": f"{batch}-{i}", "values": rng.standard_normal(64)} for i in range(300)], 64
        )
        store.write_vectors(rows, replace=False)
    thread = store.checkpointer._thread
    assert thread is not None
    catalog.close()
    assert not thread.is_alive()
    conn = sqlite3.connect(tmp_path / "ck.sqlite")
    try:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE
        assert conn.execute("SELECT count(*) FROM vectors").fetchone()[0] == 1800
        assert conn.execute("SELECT sum(length(data)) FROM segments").fetchone()[0] == 1800 * 64 * 4
    finally:
        conn.close()
