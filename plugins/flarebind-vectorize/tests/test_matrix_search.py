"""Both ways of scoring a block (einsum on the calling thread for small blocks, BLAS for large ones) give the exact
top-k of a float64 reference, filtered (gathered rows) and not; and a match's namespace comes from the matrix."""

from __future__ import annotations

import numpy as np
import pytest
from flarebind_vectorize import matrix as matrix_module
from flarebind_vectorize.matrix import Matrix


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot-product"])
@pytest.mark.parametrize("single_thread_cells", [0, 1 << 40], ids=["blas", "einsum"])
def test_scoring_paths_match_the_reference(metric, single_thread_cells, monkeypatch):
    monkeypatch.setattr(matrix_module, "_SINGLE_THREAD_CELLS", single_thread_cells)
    rng = np.random.default_rng(11)
    data = rng.standard_normal((600, 32)).astype(np.float32)
    matrix = Matrix(32, metric, {"tag": "number"})
    ids = [f"v{i}" for i in range(600)]
    matrix.put_batch(ids, data, [None] * 600, [{"tag": i % 4} for i in range(600)])
    exact = data.astype(np.float64)
    for q in rng.standard_normal((5, 32)).astype(np.float32):
        q64 = q.astype(np.float64)
        if metric == "cosine":
            score = exact @ q64 / (np.linalg.norm(exact, axis=1) * np.linalg.norm(q64))
            order = np.argsort(-score, kind="stable")
        elif metric == "euclidean":
            score = np.linalg.norm(exact - q64, axis=1)
            order = np.argsort(score, kind="stable")
        else:
            score = -(exact @ q64)
            order = np.argsort(score, kind="stable")
        hits = matrix.search(q, 7, None, [])
        assert [slot for slot, _ in hits] == order[:7].tolist()
        assert [s for _, s in hits] == pytest.approx(score[order[:7]].tolist(), rel=1e-9)
        kept = [i for i in order.tolist() if i % 4 == 1][:7]  # a filter keeping a quarter: gathered rows
        assert [slot for slot, _ in matrix.search(q, 7, None, [("tag", "$eq", 1)])] == kept


def test_namespace_of_a_slot():
    matrix = Matrix(2, "cosine", {})
    matrix.put_batch(["a", "b", "c"], np.eye(3, 2, dtype=np.float32), ["x", None, "y"], [None] * 3)
    assert [matrix.namespace_of(matrix.slots[i]) for i in "abc"] == ["x", None, "y"]
    matrix.put_batch(["b"], np.ones((1, 2), np.float32), ["x"], [None])  # an upsert moves b into x
    assert matrix.namespace_of(matrix.slots["b"]) == "x"
