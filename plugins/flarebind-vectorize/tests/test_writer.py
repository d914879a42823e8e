"""The background writer: mutations return before SQLite commits them; ordering, persistence, errors, draining."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from flarebind.plugin import LocalContext
from flarebind_vectorize import writer
from flarebind_vectorize.local import catalog_for, make_local
from flarebind_vectorize.store import Catalog
from flarebind_vectorize.writer import WriteFailed


def _rows(ids, value):
    return [(vid, np.full(4, value, np.float32), None, None) for vid in ids]


def _count(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM vectors").fetchone()[0]
    finally:
        conn.close()


def test_insert_upsert_delete_of_one_id_are_written_in_order(tmp_path):
    catalog = Catalog(tmp_path)
    catalog.create("order", 4, "euclidean")
    store = catalog.open("order")
    store.write_vectors(_rows(["a", "b"], 1.0), replace=False)
    store.write_vectors(_rows(["a"], 2.0), replace=True)
    store.write_vectors(_rows(["a"], 3.0), replace=False)  # insert of an existing id: skipped
    store.delete_vectors(["b"])
    last = store.write_vectors(_rows(["b"], 5.0), replace=False)  # b is new again after its delete
    assert store.stored_values("a").tolist() == [2.0] * 4  # the matrix has it before the disk does
    catalog.close()  # drains the queue

    conn = sqlite3.connect(tmp_path / "order.sqlite")
    try:
        blobs = dict(
            conn.execute(
                "SELECT v.id, substr(s.data, v.position * 16 + 1, 16) "
                "FROM vectors v JOIN segments s ON s.id = v.segment"
            ).fetchall()
        )
        assert {k: np.frombuffer(b, "<f4").tolist() for k, b in blobs.items()} == {"a": [2.0] * 4, "b": [5.0] * 4}
        assert conn.execute("SELECT value FROM config WHERE key = 'last_mutation'").fetchone()[0] == last
    finally:
        conn.close()


async def test_every_accepted_mutation_is_on_disk_for_another_process_after_close(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "MAX_QUEUED", 2)  # backpressure: callers wait instead of queueing everything
    ctx = LocalContext(persist_to=tmp_path)
    catalog_for(ctx).create("many", 8, "cosine")
    index = make_local("V", {"index_name": "many"}, ctx)
    rng = np.random.default_rng(3)
    for batch in range(20):
        await index.insert([{"id": f"{batch}-{i}", "values": rng.standard_normal(8)} for i in range(50)])
    await index.deleteByIds(["0-0", "19-49"])
    await ctx.dispose()  # returns once the writer has drained
    script = textwrap.dedent(
        f"""
        import asyncio
        from flarebind.plugin import LocalContext
        from flarebind_vectorize.local import make_local

        async def main():
            ctx = LocalContext(persist_to={str(tmp_path)!r})
            index = make_local("V", {{"index_name": "many"}}, ctx)
            print((await index.describe())["vectorCount"], len(await index.getByIds(["0-0", "0-1", "19-48"])))
            await ctx.dispose()

        asyncio.run(main())
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["998", "2"]


def test_a_second_process_sees_writes_once_drained_and_its_own_writes_replay(tmp_path):
    first, second = Catalog(tmp_path), Catalog(tmp_path)
    first.create("shared", 4, "dot-product")
    a, b = first.open("shared"), second.open("shared")
    a.write_vectors(_rows([f"x{i}" for i in range(100)], 1.0), replace=False)
    b.write_vectors(_rows(["x0", "y"], 7.0), replace=False)  # b's matrix may not know x0 yet; the file decides
    a.drain()
    b.drain()
    assert b.info()["vectorCount"] == 101
    assert a.info()["vectorCount"] == 101
    assert b.stored_values("x0").tolist() == [1.0] * 4  # a inserted x0 first: b's insert of it was skipped
    assert a.stored_values("y").tolist() == [7.0] * 4
    first.close()
    second.close()


def test_a_failed_write_is_raised_once_and_at_close(tmp_path):
    catalog = Catalog(tmp_path)
    catalog.create("err", 4, "cosine")
    store = catalog.open("err")
    store.write_vectors(_rows(["before"], 1.0), replace=False)
    store.drain()
    blocker = sqlite3.connect(tmp_path / "err.sqlite")
    blocker.execute(
        "CREATE TRIGGER no BEFORE INSERT ON vectors WHEN NEW.id = 'bad' BEGIN SELECT RAISE(ABORT, 'nope'); END"
    )
    blocker.commit()
    mutation = store.write_vectors(_rows(["bad", "x"], 2.0), replace=False)
    store.write_vectors(_rows(["later"], 3.0), replace=False)  # queued behind the failure, or written after it
    store.drain()
    with pytest.raises(WriteFailed, match=mutation) as raised:
        store.search(np.ones(4, np.float32), _options())
    assert "nope" in str(raised.value)
    ids = {vid for vid, *_ in store.get_vectors(["before", "bad", "x", "later"])}
    assert "bad" not in ids and "x" not in ids and "before" in ids  # the failed batch left nothing behind
    assert len(store.matrix) == _count(tmp_path / "err.sqlite")  # the matrix was rebuilt from the file

    store.write_vectors(_rows(["bad"], 4.0), replace=False)  # fails again; nobody calls the store before close
    with pytest.raises(WriteFailed, match="nope"):
        catalog.close()
    blocker.close()


def _options():
    from flarebind_vectorize.validation import query_options

    return query_options({"topK": 5}, {})
