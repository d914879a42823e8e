"""Vectorize conformance: the Workers API (V2 indexes) against a brute-force numpy reference on random data.

Runs on every available path: ``local`` (the exact index) always; ``remote`` with ``FLAREBIND_CONFORMANCE_REMOTE=1``,
where workerd has no Vectorize, so the proxy holds a JS stand-in index exposing the binding's RPC methods
(``flarebind.testing.remote_proxy``); there the suite checks the wire path: vectors, nested options, results and
errors cross intact. ``test_wire_path_*`` run through the proxy under ``wrangler dev`` in every run.

Tests about index-side rules the stand-in does not model (metadata indexes, limits, string truncation) are local only.
"""

from __future__ import annotations

import array
import json
import uuid

import numpy as np
import pytest
from flarebind.errors import JsException
from flarebind.testing.bindings import open_bindings

METRICS = ["cosine", "euclidean", "dot-product"]
SEEDS = [0, 1, 2]


# -- the reference ------------------------------------------------------------------------------------------------


def reference(
    vectors: dict[str, np.ndarray], query: np.ndarray, metric: str, k: int, keep=lambda vid: True
) -> list[tuple[str, float]]:
    """Brute force over every stored vector (float32 values, float64 arithmetic); ties broken by id."""
    q = np.asarray(query, dtype=np.float32).astype(np.float64)
    scored = []
    for vid, values in vectors.items():
        if not keep(vid):
            continue
        x = np.asarray(values, dtype=np.float32).astype(np.float64)
        if metric == "cosine":
            score = float(x @ q / (np.linalg.norm(x) * np.linalg.norm(q)))
        elif metric == "euclidean":
            score = float(np.sqrt(((x - q) ** 2).sum()))
        else:
            score = float(-(x @ q))
        scored.append((vid, score))
    scored.sort(key=lambda p: (-p[1] if metric == "cosine" else p[1], p[0]))
    return scored[:k]


def assert_same(result, expected: list[tuple[str, float]]) -> None:
    assert result["count"] == len(expected)
    assert [m["id"] for m in result["matches"]] == [vid for vid, _ in expected]
    for match, (_, score) in zip(result["matches"], expected, strict=True):
        assert match["score"] == pytest.approx(score, rel=1e-6, abs=1e-9)


# -- fixtures -----------------------------------------------------------------------------------------------------


async def _open_index(make, mode: str, state, dims: int, metric: str, name: str):
    if mode == "local":
        from flarebind_vectorize.store import Catalog

        catalog = Catalog(state / "v3" / "vectorize")
        catalog.create(name, dims, metric)
        catalog.close()
    index = await make("vectorize", {"index_name": name})
    if mode == "remote":
        # the stand-in's own set-up call (an index's configuration is made outside the Workers API)
        await index._channel.call(index._name, [{"call": "configure", "args": [dims, metric]}])
    return index


@pytest.fixture
def open_index(make_binding, binding_mode, tmp_path):
    async def open_(dims: int, metric: str = "cosine", name: str = "conf-vec"):
        return await _open_index(make_binding, binding_mode, tmp_path / "state", dims, metric, name)

    return open_


@pytest.fixture
def metadata_index(binding_mode, tmp_path):
    """Create a metadata index (``flarebind vectorize create-metadata-index``); the stand-in filters on anything."""

    def create(prop: str, kind: str, name: str = "conf-vec") -> None:
        if binding_mode == "local":
            from flarebind_vectorize.store import Catalog

            catalog = Catalog(tmp_path / "state" / "v3" / "vectorize")
            catalog.open(name).create_metadata_index(prop, kind)
            catalog.close()

    return create


@pytest.fixture
def local_only(binding_mode):
    if binding_mode != "local":
        pytest.skip("an index-side rule the remote stand-in does not model")


def random_vectors(rng, n: int, dims: int, prefix: str = "v") -> dict[str, np.ndarray]:
    return {f"{prefix}{i}": rng.standard_normal(dims).astype(np.float32) for i in range(n)}


async def insert_all(index, vectors: dict[str, np.ndarray], meta=None, namespaces=None, batch: int = 100) -> None:
    items = []
    for vid, values in vectors.items():
        item = {"id": vid, "values": values.tolist()}
        if meta is not None and meta.get(vid) is not None:
            item["metadata"] = meta[vid]
        if namespaces is not None and namespaces.get(vid) is not None:
            item["namespace"] = namespaces[vid]
        items.append(item)
    for i in range(0, len(items), batch):
        result = await index.insert(items[i : i + batch])
        assert isinstance(result["mutationId"], str) and result["mutationId"]


async def _raises(exc_type, message, awaitable):
    with pytest.raises(exc_type) as info:
        await awaitable
    assert str(info.value) == message
    return info.value


# -- kNN against the reference ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("metric", METRICS)
async def test_query_is_the_exact_knn(open_index, metric, seed):
    rng = np.random.default_rng(seed)
    dims = 24
    index = await open_index(dims, metric)
    vectors = random_vectors(rng, 250, dims)
    await insert_all(index, vectors)
    for _ in range(4):
        q = rng.standard_normal(dims).astype(np.float32)
        for k in (1, 5, 17):
            assert_same(await index.query(q.tolist(), {"topK": k}), reference(vectors, q, metric, k))
    # the default topK is 5
    q = rng.standard_normal(dims).astype(np.float32)
    assert_same(await index.query(q.tolist()), reference(vectors, q, metric, 5))


@pytest.mark.parametrize("metric", METRICS)
async def test_score_direction_per_metric(open_index, metric):
    index = await open_index(2, metric)
    await index.insert(
        [{"id": "same", "values": [1.0, 0.0]}, {"id": "orth", "values": [0.0, 1.0]}, {"id": "opp", "values": [-1, 0]}]
    )
    result = await index.query([1.0, 0.0], topK=3)
    ids = [m["id"] for m in result["matches"]]
    scores = {m["id"]: m["score"] for m in result["matches"]}
    assert ids == ["same", "orth", "opp"]
    if metric == "cosine":  # similarity: 1 identical, 0 orthogonal, -1 opposite; best first is highest
        assert scores == pytest.approx({"same": 1.0, "orth": 0.0, "opp": -1.0})
    elif metric == "euclidean":  # distance: 0 identical; best first is lowest
        assert scores == pytest.approx({"same": 0.0, "orth": 2**0.5, "opp": 2.0})
    else:  # the negated dot product: more negative is closer
        assert scores == pytest.approx({"same": -1.0, "orth": 0.0, "opp": 1.0})


@pytest.mark.parametrize("seed", SEEDS)
async def test_metadata_filters_match_the_reference(open_index, metadata_index, seed):
    rng = np.random.default_rng(100 + seed)
    dims = 16
    index = await open_index(dims, "cosine")
    for prop, kind in (("cat", "string"), ("n", "number"), ("flag", "boolean"), ("nested.level", "number")):
        metadata_index(prop, kind)
    vectors = random_vectors(rng, 300, dims)
    cats = ["red", "green", "blue", "cyan"]
    meta = {}
    for i, vid in enumerate(vectors):
        m = {"cat": cats[i % 4], "n": int(rng.integers(0, 20)), "flag": bool(i % 3 == 0)}
        if i % 5:
            m["nested"] = {"level": i % 7}
        if i % 11 == 0:
            del m["cat"]  # some vectors lack a property
        meta[vid] = m
    await insert_all(index, vectors, meta)

    def get(vid, key):
        node = meta[vid]
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    filters = [
        ({"cat": "red"}, lambda vid: get(vid, "cat") == "red"),
        ({"cat": {"$eq": "blue"}}, lambda vid: get(vid, "cat") == "blue"),
        ({"cat": {"$ne": "blue"}}, lambda vid: get(vid, "cat") != "blue"),
        ({"cat": {"$in": ["red", "cyan"]}}, lambda vid: get(vid, "cat") in ("red", "cyan")),
        ({"cat": {"$nin": ["red", "cyan"]}}, lambda vid: get(vid, "cat") not in ("red", "cyan")),
        ({"n": {"$lt": 5}}, lambda vid: get(vid, "n") < 5),
        ({"n": {"$lte": 5}}, lambda vid: get(vid, "n") <= 5),
        ({"n": {"$gt": 15}}, lambda vid: get(vid, "n") > 15),
        ({"n": {"$gte": 15}}, lambda vid: get(vid, "n") >= 15),
        ({"n": {"$gte": 3, "$lt": 9}}, lambda vid: 3 <= get(vid, "n") < 9),
        ({"cat": {"$gte": "c", "$lt": "h"}}, lambda vid: get(vid, "cat") is not None and "c" <= get(vid, "cat") < "h"),
        ({"flag": True}, lambda vid: get(vid, "flag") is True),
        (
            {"flag": {"$ne": True}, "n": {"$in": [1, 2, 3]}},
            lambda vid: get(vid, "flag") is not True and get(vid, "n") in (1, 2, 3),
        ),
        ({"nested.level": 3}, lambda vid: get(vid, "nested.level") == 3),
        ({"cat": "red", "n": {"$gt": 10}}, lambda vid: get(vid, "cat") == "red" and get(vid, "n") > 10),
        ({"cat": "no-such-value"}, lambda vid: False),
    ]
    for flt, keep in filters:
        q = rng.standard_normal(dims).astype(np.float32)
        result = await index.query(q.tolist(), {"topK": 20, "filter": flt})
        assert_same(result, reference(vectors, q, "cosine", 20, keep))


@pytest.mark.parametrize("seed", SEEDS)
async def test_namespaces_partition_the_index(open_index, seed):
    rng = np.random.default_rng(200 + seed)
    dims = 12
    index = await open_index(dims, "euclidean")
    vectors = random_vectors(rng, 150, dims)
    namespaces = {vid: (None, "alpha", "beta")[i % 3] for i, vid in enumerate(vectors)}
    await insert_all(index, vectors, namespaces=namespaces)
    q = rng.standard_normal(dims).astype(np.float32)
    for ns in ("alpha", "beta"):
        result = await index.query(q.tolist(), topK=10, namespace=ns)
        assert_same(result, reference(vectors, q, "euclidean", 10, lambda vid, ns=ns: namespaces[vid] == ns))
        assert {m["namespace"] for m in result["matches"]} == {ns}
    # without a namespace the whole index is searched
    assert_same(await index.query(q.tolist(), topK=10), reference(vectors, q, "euclidean", 10))
    assert (await index.query(q.tolist(), namespace="nobody"))["matches"] == []


# -- mutations ----------------------------------------------------------------------------------------------------


async def test_insert_skips_existing_ids_upsert_replaces_in_full(open_index):
    index = await open_index(3, "cosine")
    await index.insert([{"id": "a", "values": [1, 0, 0], "metadata": {"v": 1}, "namespace": "n1"}])
    await index.insert([{"id": "a", "values": [0, 1, 0], "metadata": {"v": 2}}, {"id": "b", "values": [0, 0, 1]}])
    got = {g["id"]: g for g in await index.getByIds(["a", "b"])}
    assert got["a"]["values"] == [1.0, 0.0, 0.0] and got["a"]["metadata"] == {"v": 1} and got["a"]["namespace"] == "n1"
    assert got["b"]["values"] == [0.0, 0.0, 1.0]
    await index.upsert([{"id": "a", "values": [0, 1, 0]}])
    [a] = await index.getByIds(["a"])
    assert a["values"] == [0.0, 1.0, 0.0]
    assert "metadata" not in a and "namespace" not in a  # replaced in full, nothing merged
    assert (await index.describe())["vectorCount"] == 2


async def test_delete_by_ids_and_describe(open_index):
    index = await open_index(4, "dot-product")
    await index.upsert([{"id": f"d{i}", "values": [i, 1, 0, 0]} for i in range(6)])
    info = await index.describe()
    assert info["vectorCount"] == 6 and info["dimensions"] == 4
    assert isinstance(info["processedUpToMutation"], str)
    deleted = await index.deleteByIds(["d1", "d3", "never-there"])
    assert isinstance(deleted["mutationId"], str)
    assert (await index.describe())["processedUpToMutation"] == deleted["mutationId"]
    assert (await index.describe())["vectorCount"] == 4
    assert [g["id"] for g in await index.getByIds(["d0", "d1", "d3", "d5"])] == ["d0", "d5"]
    result = await index.query([1, 0, 0, 0], topK=10)
    assert {m["id"] for m in result["matches"]} == {"d0", "d2", "d4", "d5"}
    # an id deleted then inserted again is a new vector
    await index.insert([{"id": "d1", "values": [9, 9, 9, 9]}])
    assert (await index.getByIds(["d1"]))[0]["values"] == [9.0, 9.0, 9.0, 9.0]


async def test_get_by_ids_returns_float32_values_exactly(open_index):
    index = await open_index(5, "cosine")
    values = [0.1, 1e-7, -3.3333333, 12345.678, 2.0]
    await index.insert([{"id": "x", "values": values, "metadata": {"k": "v", "deep": {"a": [1, 2]}}}])
    [got] = await index.getByIds(["x"])
    assert got["values"] == [float(f) for f in np.asarray(values, dtype=np.float32)]
    assert got["metadata"] == {"k": "v", "deep": {"a": [1, 2]}}
    assert got.id == "x"  # attribute access, like the SDK's JsProxy results
    assert await index.getByIds(["missing"]) == []


@pytest.mark.parametrize(
    "make_values",
    [
        lambda v: list(v),
        lambda v: tuple(v),
        lambda v: array.array("f", v),
        lambda v: array.array("d", v),
        lambda v: np.asarray(v, dtype=np.float32),
        lambda v: np.asarray(v, dtype=np.float64),
        lambda v: np.asarray(v, dtype=np.float32).tobytes(),
        lambda v: memoryview(np.asarray(v, dtype=np.float32).tobytes()),
    ],
    ids=["list", "tuple", "array-f", "array-d", "numpy-f32", "numpy-f64", "f32-bytes", "memoryview"],
)
async def test_vector_input_types(open_index, make_values):
    index = await open_index(4, "euclidean")
    values = [0.5, -1.25, 3.0, 0.1]
    await index.upsert([{"id": "t", "values": make_values(values)}])
    [got] = await index.getByIds(["t"])
    assert got["values"] == [float(f) for f in np.asarray(values, dtype=np.float32)]
    result = await index.query(make_values(values), topK=1)
    assert result["matches"][0]["id"] == "t"
    assert result["matches"][0]["score"] == pytest.approx(0.0, abs=1e-6)


# -- query options ------------------------------------------------------------------------------------------------


async def test_return_values_and_metadata_options(open_index, metadata_index, binding_mode):
    index = await open_index(3, "cosine")
    metadata_index("genre", "string")
    await index.insert(
        [{"id": "m", "values": [1, 2, 3], "namespace": "ns", "metadata": {"genre": "jazz", "year": 1959}}]
    )
    base = await index.query([1, 2, 3], {"topK": 1})
    assert set(base["matches"][0]) == {"id", "score", "namespace"}
    with_values = await index.query([1, 2, 3], {"topK": 1, "returnValues": True})
    assert with_values["matches"][0]["values"] == [1.0, 2.0, 3.0]
    for option in ("all", True):
        result = await index.query([1, 2, 3], {"topK": 1, "returnMetadata": option})
        assert result["matches"][0]["metadata"] == {"genre": "jazz", "year": 1959}
    for option in ("none", False):
        result = await index.query([1, 2, 3], topK=1, returnMetadata=option)
        assert "metadata" not in result["matches"][0]
    if binding_mode == "local":  # "indexed": only what metadata indexes hold
        result = await index.query([1, 2, 3], topK=1, returnMetadata="indexed")
        assert result["matches"][0]["metadata"] == {"genre": "jazz"}
    await _raises(
        JsException,
        'Invalid returnMetadata option. Expected: true, false, "none", "indexed" or "all"; got: "some"',
        index.query([1, 2, 3], {"returnMetadata": "some"}),
    )


async def test_query_by_id(open_index):
    rng = np.random.default_rng(7)
    index = await open_index(8, "cosine")
    vectors = random_vectors(rng, 60, 8)
    await insert_all(index, vectors)
    result = await index.queryById("v3", {"topK": 4, "returnValues": True})
    assert_same(result, reference(vectors, vectors["v3"], "cosine", 4))
    assert result["matches"][0]["id"] == "v3"
    assert result["matches"][0]["values"] == [float(f) for f in vectors["v3"]]
    assert (await index.queryById("not-there"))["matches"] == []


async def test_dimension_mismatch_errors(open_index):
    index = await open_index(4, "cosine")
    await _raises(
        JsException,
        'VECTOR_INSERT_ERROR (code = 40012): invalid vector for id="bad", expected 4 dimensions, and got 3 dimensions',
        index.insert([{"id": "bad", "values": [1, 2, 3]}]),
    )
    await _raises(
        JsException,
        'VECTOR_UPSERT_ERROR (code = 40012): invalid vector for id="bad", expected 4 dimensions, and got 5 dimensions',
        index.upsert([{"id": "bad", "values": [1, 2, 3, 4, 5]}]),
    )
    await _raises(
        JsException,
        "VECTOR_QUERY_ERROR (code = 40006): invalid query vector, expected 4 dimensions, and got 2 dimensions",
        index.query([1, 2]),
    )
    assert (await index.describe())["vectorCount"] == 0  # a rejected batch writes nothing


# -- limits (index-side rules; local) -----------------------------------------------------------------------------


async def test_top_k_limits(open_index, local_only):
    index = await open_index(2, "cosine")
    await index.insert([{"id": str(i), "values": [1, i]} for i in range(120)])
    assert (await index.query([1, 0], topK=100))["count"] == 100
    assert (await index.query([1, 0], topK=100, returnMetadata="indexed"))["count"] == 100
    assert (await index.query([1, 0], topK=50, returnValues=True))["count"] == 50
    message = (
        "VECTOR_QUERY_ERROR (code = 40025): with returnValues=true or returnMetadata=all, max top K is 50, but got 51; "
        "for a top K up to 100, retry with returnValues=false and returnMetadata=indexed"
    )
    await _raises(JsException, message, index.query([1, 0], topK=51, returnValues=True))
    await _raises(JsException, message, index.query([1, 0], topK=51, returnMetadata="all"))
    await _raises(
        JsException, "VECTOR_QUERY_ERROR (code = 40025): max top K is 100, but got 101", index.query([1, 0], topK=101)
    )
    with pytest.raises(JsException, match="invalid topK"):
        await index.query([1, 0], topK=0)


async def test_vector_limits(open_index, local_only):
    index = await open_index(2, "cosine")
    await index.insert([{"id": "x" * 64, "values": [1, 0]}])  # 64 bytes is allowed
    with pytest.raises(JsException, match=r"^VECTOR_INSERT_ERROR \(code = \d+\): invalid vector id .*at most 64 bytes"):
        await index.insert([{"id": "é" * 33, "values": [1, 0]}])  # 66 bytes
    with pytest.raises(JsException, match=r"^VECTOR_UPSERT_ERROR .*ids must not be empty"):
        await index.upsert([{"id": "", "values": [1, 0]}])
    await index.insert([{"id": "big", "values": [1, 0], "metadata": {"t": "a" * (10 * 1024 - 8)}}])  # exactly 10 KiB
    with pytest.raises(JsException, match=r"over the limit of 10240 bytes per vector"):
        await index.insert([{"id": "bigger", "values": [1, 0], "metadata": {"t": "a" * (10 * 1024 - 7)}}])
    with pytest.raises(JsException, match=r"too many vectors in one request: 1001, the limit is 1000"):
        await index.upsert([{"id": f"n{i}", "values": [1, 0]} for i in range(1001)])
    with pytest.raises(JsException, match=r"namespace names must be at most 64 bytes"):
        await index.upsert([{"id": "ns", "values": [1, 0], "namespace": "n" * 65}])
    await _raises(
        JsException,
        "VECTOR_GET_ERROR (code = 40007): too many ids in payload; max id count is 20",
        index.getByIds([str(i) for i in range(21)]),
    )
    with pytest.raises(JsException, match=r"values must be finite"):
        await index.insert([{"id": "nan", "values": [float("nan"), 0]}])
    for bad in ([1, True], ["1", 2], [1, None]):
        with pytest.raises(JsException, match=r"vector values must be numbers"):
            await index.insert([{"id": "bad", "values": bad}])
    assert (await index.describe())["vectorCount"] == 2


async def test_filter_errors(open_index, metadata_index, local_only):
    index = await open_index(2, "cosine")
    metadata_index("genre", "string")
    metadata_index("year", "number")
    await index.insert([{"id": "a", "values": [1, 0], "metadata": {"genre": "x", "year": 1}}])

    async def bad(flt, pattern):
        with pytest.raises(JsException, match=pattern) as info:
            await index.query([1, 0], filter=flt)
        assert str(info.value).startswith("VECTOR_QUERY_ERROR (code = 40003): invalid filter: ")

    await bad({"title": "x"}, r'"title" has no metadata index.*flarebind vectorize create-metadata-index')
    await bad({"genre": {"$regex": "x"}}, r'unsupported operator "\$regex"')
    await bad({"year": "1999"}, r"compares a string with a metadata index of type number")
    await bad({"genre": {"$lt": True}}, r"takes a string or a number")
    await bad({"genre": {"$in": "x"}}, r"takes an array")
    await bad({"year": {"$eq": 1, "$lt": 5}}, r"cannot be combined")
    await bad({"year": {"$gt": 1, "$gte": 5}}, r"cannot be combined")
    await bad({}, r"non-empty object")
    await bad({"$genre": "x"}, r"invalid key")
    await bad({"genre": {"$in": ["x" * 100] * 25}}, r"must be less than 2048")


async def test_string_indexes_hold_the_first_64_bytes(open_index, metadata_index, local_only):
    index = await open_index(2, "cosine")
    metadata_index("s", "string")
    long_a = "a" * 64 + "-one"
    long_b = "a" * 64 + "-two"
    cut = "é" * 40  # 80 bytes: the index keeps 32 whole characters (64 bytes)
    await index.insert(
        [
            {"id": "1", "values": [1, 0], "metadata": {"s": long_a}},
            {"id": "2", "values": [1, 0], "metadata": {"s": long_b}},
            {"id": "3", "values": [1, 0], "metadata": {"s": cut}},
        ]
    )
    hits = await index.query([1, 0], filter={"s": "a" * 64})
    assert {m["id"] for m in hits["matches"]} == {"1", "2"}  # both share their first 64 bytes
    hits = await index.query([1, 0], filter={"s": long_b})  # compared on its first 64 bytes too
    assert {m["id"] for m in hits["matches"]} == {"1", "2"}
    hits = await index.query([1, 0], filter={"s": "é" * 32}, returnMetadata="indexed")
    assert [m["id"] for m in hits["matches"]] == ["3"]
    assert hits["matches"][0]["metadata"] == {"s": "é" * 32}


async def test_vectors_written_before_a_metadata_index_are_not_in_it(open_index, metadata_index, local_only):
    index = await open_index(2, "cosine")
    await index.insert([{"id": "early", "values": [1, 0], "metadata": {"tag": "t"}}])
    metadata_index("tag", "string")
    await index.insert([{"id": "late", "values": [1, 0], "metadata": {"tag": "t"}}])
    assert [m["id"] for m in (await index.query([1, 0], filter={"tag": "t"}))["matches"]] == ["late"]
    await index.upsert([{"id": "early", "values": [1, 0], "metadata": {"tag": "t"}}])  # re-upserted: indexed now
    assert {m["id"] for m in (await index.query([1, 0], filter={"tag": "t"}))["matches"]} == {"early", "late"}


async def test_metadata_index_type_decides_what_is_indexed(open_index, metadata_index, local_only):
    index = await open_index(2, "cosine")
    metadata_index("v", "number")
    await index.insert(
        [
            {"id": "num", "values": [1, 0], "metadata": {"v": 3}},
            {"id": "str", "values": [1, 0], "metadata": {"v": "3"}},
            {"id": "none", "values": [1, 0]},
        ]
    )
    assert [m["id"] for m in (await index.query([1, 0], filter={"v": 3}))["matches"]] == ["num"]
    # $ne and null: vectors without an indexed value are "not equal" and "equal to null"
    assert {m["id"] for m in (await index.query([1, 0], filter={"v": {"$ne": 3}}))["matches"]} == {"str", "none"}
    assert {m["id"] for m in (await index.query([1, 0], filter={"v": None}))["matches"]} == {"str", "none"}


async def test_querying_an_index_never_created_names_the_command(make_binding, local_only):
    from flarebind_vectorize.errors import IndexNotFound

    index = await make_binding("vectorize", {"index_name": "never-made"})
    with pytest.raises(IndexNotFound) as info:
        await index.query([1.0, 2.0])
    assert "flarebind vectorize create never-made --dimensions" in str(info.value)
    with pytest.raises(IndexNotFound):
        await index.insert([{"id": "a", "values": [1.0]}])


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", "UPPER", "", "x" * 65, "with space", "/abs"])
async def test_index_names_cannot_leave_the_state_folder(make_binding, local_only, name, tmp_path):
    with pytest.raises(ValueError, match="Invalid Vectorize index name"):
        await make_binding("vectorize", {"index_name": name})
    assert not any(p.name != "state" for p in tmp_path.iterdir())


# -- the wire path through the proxy under wrangler dev (always run) ----------------------------------------------


@pytest.fixture
async def remote_index(tmp_path):
    async with open_bindings("remote") as make:
        yield lambda dims, metric: _open_index(make, "remote", None, dims, metric, f"wire-{uuid.uuid4().hex[:6]}")


@pytest.mark.wrangler
async def test_wire_path_matches_the_local_index(remote_index, tmp_path):
    """The same calls on the local index and through the proxy (JS stand-in) give the same results: typed values,
    nested options (filter, namespace, returnMetadata) and results cross intact."""
    rng = np.random.default_rng(42)
    dims = 10
    remote = await remote_index(dims, "cosine")
    async with open_bindings("local", persist_to=tmp_path / "state") as make:
        local = await _open_index(make, "local", tmp_path / "state", dims, "cosine", "wire-local")
        from flarebind_vectorize.store import Catalog

        Catalog(tmp_path / "state" / "v3" / "vectorize").open("wire-local").create_metadata_index("c", "string")
        vectors = random_vectors(rng, 40, dims)
        items = [
            {
                "id": vid,
                "values": np.asarray(values, dtype=np.float32),  # numpy on the way in
                "namespace": "ns" if i % 2 else None,
                "metadata": {"c": "ab"[i % 2 == 0 and i % 4 == 0], "i": i, "deep": {"x": [i, "y"]}},
            }
            for i, (vid, values) in enumerate(vectors.items())
        ]
        for target in (local, remote):
            assert isinstance((await target.insert(items[:20]))["mutationId"], str)
            assert isinstance((await target.upsert(items[20:]))["mutationId"], str)
        q = rng.standard_normal(dims).astype(np.float32)
        for options in (
            {"topK": 7},
            {"topK": 5, "returnValues": True, "returnMetadata": "all"},
            {"topK": 9, "namespace": "ns", "returnMetadata": True},
            {"topK": 6, "filter": {"c": "a"}, "returnValues": True},
            {"topK": 6, "filter": {"c": {"$in": ["b"]}}},
        ):
            want = await local.query(q, options)
            got = await remote.query(q, options)
            assert [m["id"] for m in got["matches"]] == [m["id"] for m in want["matches"]]
            for g, w in zip(got["matches"], want["matches"], strict=True):
                assert g["score"] == pytest.approx(w["score"], rel=1e-9)
                assert {k: val for k, val in g.items() if k != "score"} == {
                    k: val for k, val in w.items() if k != "score"
                }
        assert (await remote.queryById("v4", topK=3))["matches"] == [
            {**m, "score": pytest.approx(m["score"], rel=1e-9)}
            for m in (await local.queryById("v4", topK=3))["matches"]
        ]
        # Float32Array values (the stand-in returns typed arrays from getByIds) come back as the same numbers
        ids = ["v1", "v2", "nope"]
        assert json.dumps(await remote.getByIds(ids), sort_keys=True) == json.dumps(
            await local.getByIds(ids), sort_keys=True
        )
        assert (await remote.deleteByIds(["v1"]))["mutationId"]
        described = await remote.describe()
        assert described["vectorCount"] == 39 and described["dimensions"] == dims


@pytest.mark.wrangler
async def test_wire_path_errors_cross_intact(remote_index):
    remote = await remote_index(4, "euclidean")
    await _raises(
        JsException,
        'VECTOR_INSERT_ERROR (code = 40012): invalid vector for id="a", expected 4 dimensions, and got 2 dimensions',
        remote.insert([{"id": "a", "values": [1, 2]}]),
    )
    await _raises(
        JsException,
        "VECTOR_QUERY_ERROR (code = 40006): invalid query vector, expected 4 dimensions, and got 3 dimensions",
        remote.query([1, 2, 3]),
    )
    await _raises(
        JsException,
        'Invalid returnMetadata option. Expected: true, false, "none", "indexed" or "all"; got: "most"',
        remote.query([1, 2, 3, 4], {"returnMetadata": "most"}),
    )
