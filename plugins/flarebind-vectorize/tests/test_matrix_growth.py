"""The matrix grows through several doublings (batches larger than its capacity, freed slots reused) without losing
a row, whether its values live in a reserved mapping (Linux), outgrow that reservation, or are an ordinary array (the
mapping refused); and a store killed without closing keeps every batch whose insert returned."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from flarebind_vectorize import matrix as matrix_module
from flarebind_vectorize.matrix import Matrix
from flarebind_vectorize.store import Catalog


def _refuse_mapping(*args, **kwargs):
    raise OSError(12, "Cannot allocate memory")


@pytest.mark.parametrize("storage", ["reserved", "outgrown", "refused"])
def test_growing_keeps_every_row_norm_and_column(storage, monkeypatch):
    if storage == "outgrown":
        monkeypatch.setattr(matrix_module, "_RESERVE_ROWS", 16)  # the batches below outgrow it several times
    if storage == "refused":
        monkeypatch.setattr(matrix_module.mmap, "mmap", _refuse_mapping)
    rng = np.random.default_rng(5)
    data = rng.standard_normal((3000, 8)).astype(np.float32)
    matrix = Matrix(8, "cosine", {"tag": "string"}, capacity=4)
    first = matrix.vectors
    for start in range(0, 3000, 700):  # batches larger than the capacity: several doublings per batch
        stop = min(start + 700, 3000)
        ids = [f"r{i}" for i in range(start, stop)]
        matrix.put_batch(ids, data[start:stop], [None] * len(ids), [{"tag": f"t{i % 3}"} for i in range(start, stop)])
        matrix.remove(f"r{start}")  # a freed slot is reused by the next batch
        matrix.put_batch([f"r{start}"], data[start : start + 1], [None], [{"tag": f"t{start % 3}"}])
    assert matrix.capacity >= 3000 and len(matrix) == 3000
    if storage == "reserved" and sys.platform == "linux":
        assert matrix.vectors is first  # grown without a copy: the reservation already had the rows
    else:
        assert matrix.vectors is not first and matrix.vectors.shape[0] >= 3000
    for i in (0, 1, 699, 700, 2999):
        assert matrix.values_of(f"r{i}").tolist() == data[i].tolist()
    query = rng.standard_normal(8).astype(np.float32)
    cosine = data @ query / (np.linalg.norm(data, axis=1) * np.linalg.norm(query))
    best = [matrix.ids[slot] for slot, _ in matrix.search(query, 5, None, [])]
    assert best == [f"r{i}" for i in np.argsort(-cosine)[:5]]
    tagged = [matrix.ids[slot] for slot, _ in matrix.search(query, 3000, None, [("tag", "$eq", "t1")])]
    assert sorted(tagged) == sorted(f"r{i}" for i in range(3000) if i % 3 == 1)


def test_every_insert_that_returned_survives_a_killed_process(tmp_path):
    Catalog(tmp_path).create("kill", 16, "euclidean")
    script = textwrap.dedent(
        f"""
        import os
        import numpy as np
        from flarebind_vectorize.store import Catalog

        store = Catalog({str(tmp_path)!r}).open("kill")
        for batch in range(30):
            store.write_vectors([(f"{{batch}}-{{i}}", np.full(16, batch, np.float32), None, None)
                                 for i in range(100)], replace=False)
        os._exit(0)  # no close, no atexit
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    conn = sqlite3.connect(tmp_path / "kill.sqlite")
    try:
        assert conn.execute("SELECT count(*) FROM vectors").fetchone()[0] == 3000
        assert conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 30
    finally:
        conn.close()
    again = Catalog(tmp_path)
    assert again.open("kill").stored_values("29-99").tolist() == [29.0] * 16
    again.close()
