"""Vectorize limits, the checks made on every call, and turning Workers-style arguments into plain values.

Limits are from Cloudflare's limits page (docs/bindings/vectorize.md links it); where production answers differently
from the page (``topK`` with values or full metadata: the page says 20, the service's own error says 50) we follow
the service. Everything here is pure Python; numpy is imported only by the modules that search.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Mapping
from typing import Any

from flarebind_vectorize import errors as e

MAX_DIMENSIONS = 1536
MAX_ID_BYTES = 64
MAX_METADATA_BYTES = 10 * 1024
MAX_NAMESPACE_BYTES = 64
MAX_INDEX_NAME_BYTES = 64
MAX_VECTORS_PER_CALL = 1000  # Workers binding (the HTTP API takes 5000)
MAX_TOP_K = 100
MAX_TOP_K_WITH_DATA = 50  # with returnValues or returnMetadata "all"
MAX_GET_IDS = 20
MAX_METADATA_INDEXES = 10
MAX_INDEXED_STRING_BYTES = 64
MAX_FILTER_BYTES = 2048
MAX_FILTER_KEY_CHARS = 512
DEFAULT_TOP_K = 5

METRICS = ("cosine", "euclidean", "dot-product")
METADATA_TYPES = ("string", "number", "boolean")
RETURN_METADATA = ("none", "indexed", "all")
# wrangler's --preset values: model -> (dimensions, metric)
PRESETS = {
    "@cf/baai/bge-small-en-v1.5": (384, "cosine"),
    "@cf/baai/bge-base-en-v1.5": (768, "cosine"),
    "@cf/baai/bge-large-en-v1.5": (1024, "cosine"),
    "openai/text-embedding-ada-002": (1536, "cosine"),
    "cohere/embed-multilingual-v2.0": (768, "cosine"),
}

# lower-case letters, digits and dashes, starting with a letter or digit: safe as a file name on every platform
_INDEX_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


def check_index_name(name: str) -> str:
    """An index name is also a file name under the state folder: nothing that could leave it is accepted."""
    if not isinstance(name, str) or not _INDEX_NAME.match(name) or len(name.encode()) > MAX_INDEX_NAME_BYTES:
        raise ValueError(
            f"Invalid Vectorize index name {name!r}: use lower-case letters, digits and dashes (starting with a "
            f"letter or digit), at most {MAX_INDEX_NAME_BYTES} bytes."
        )
    return name


def check_config(dimensions: Any, metric: Any) -> tuple[int, str]:
    if isinstance(dimensions, bool) or not isinstance(dimensions, int) or not 1 <= dimensions <= MAX_DIMENSIONS:
        raise ValueError(
            f"Vectorize index dimensions must be an integer from 1 to {MAX_DIMENSIONS}, got {dimensions!r}."
        )
    if metric not in METRICS:
        raise ValueError(f"Vectorize index metric must be one of {', '.join(METRICS)}, got {metric!r}.")
    return dimensions, metric


# -- vectors ------------------------------------------------------------------------------------------------------


def vector_values(values: Any, *, check_finite: bool = True) -> Any:
    """A vector's values as a 1-D float32 numpy array: lists/tuples of numbers, ``array.array``, numpy arrays,
    Float32Array-like bytes (little-endian float32), or anything with the buffer protocol."""
    import numpy as np

    if isinstance(values, np.ndarray):
        arr = values
    elif isinstance(values, (bytes, bytearray, memoryview)):
        raw = memoryview(values).cast("B")
        if len(raw) % 4:
            raise TypeError(f"vector bytes must be float32 values (a multiple of 4 bytes), got {len(raw)} bytes")
        arr = np.frombuffer(raw, dtype="<f4")
    elif isinstance(values, (list, tuple)):
        # numpy infers the element type: numbers give an int or float array; bools, strings or a mix do not
        try:
            arr = np.asarray(values)
        except ValueError:
            raise TypeError("vector values must be a flat list of numbers") from None
        if arr.dtype.kind not in "fiu" or bool in map(type, values):  # booleans pass as ints otherwise
            bad = next((x for x in values if isinstance(x, bool) or not isinstance(x, (int, float))), None)
            raise TypeError(f"vector values must be numbers, got {type(bad).__name__}")
    else:
        try:
            arr = np.asarray(memoryview(values))  # array.array('f' | 'd'), other buffers
        except TypeError:
            raise TypeError(
                "vector values must be a list of numbers, an array.array, a numpy array or float32 bytes, "
                f"got {type(values).__name__}"
            ) from None
    if arr.ndim != 1:
        raise TypeError(f"vector values must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"vector values must be numbers, got dtype {arr.dtype}")
    out = arr.astype(np.float32)
    # one float64 reduction: NaN and infinities survive a sum, and float32 values cannot overflow it
    if check_finite and not math.isfinite(float(out.sum(dtype=np.float64))):
        raise TypeError(NOT_FINITE)
    return out


NOT_FINITE = "vector values must be finite numbers (no NaN or Infinity)"


def check_id(op: str, vid: Any) -> str:
    if not isinstance(vid, str):
        raise e.vector_error(op, e.BAD_ID, f"invalid vector id: expected a string, got {type(vid).__name__}")
    size = len(vid.encode("utf-8", "surrogatepass"))
    if size == 0:
        raise e.vector_error(op, e.BAD_ID, "invalid vector id: ids must not be empty")
    if size > MAX_ID_BYTES:
        raise e.vector_error(
            op, e.BAD_ID, f'invalid vector id "{vid}": ids must be at most {MAX_ID_BYTES} bytes, got {size}'
        )
    return vid


def check_namespace(op: str, namespace: Any) -> str | None:
    if namespace is None:
        return None
    if not isinstance(namespace, str):
        raise e.vector_error(
            op, e.BAD_NAMESPACE, f"invalid namespace: expected a string, got {type(namespace).__name__}"
        )
    size = len(namespace.encode())
    if size > MAX_NAMESPACE_BYTES:
        raise e.vector_error(
            op,
            e.BAD_NAMESPACE,
            f"invalid namespace: namespace names must be at most {MAX_NAMESPACE_BYTES} bytes, got {size}",
        )
    return namespace


_json_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _not_serialisable(o: Any) -> Any:
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


# The C encoder made once: ``JSONEncoder.encode`` builds a new one per call, which is half the cost of encoding a
# small metadata object. No circular-reference markers: a cycle ends in RecursionError, reported like a TypeError.
_c_encoder = (
    json.encoder.c_make_encoder(
        None, _not_serialisable, json.encoder.encode_basestring, None, ":", ",", False, False, False
    )
    if json.encoder.c_make_encoder is not None
    else None
)


def compact_json(obj: Any) -> str:
    """``obj`` as compact JSON (no spaces, UTF-8 kept, NaN and Infinity refused), the stored form of metadata."""
    if _c_encoder is None or isinstance(obj, str):
        return _json_encoder.encode(obj)
    try:
        return "".join(_c_encoder(obj, 0))
    except RecursionError:
        raise ValueError("Circular reference detected") from None


class MetadataJson(str):
    """Metadata as stored (compact JSON text), keeping the object it was made from so it is not parsed again."""

    obj: Mapping[str, Any]


def metadata_json(op: str, vid: str, metadata: Any) -> str | None:
    """The metadata object as compact JSON (its stored form), within the 10 KiB limit."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        if not isinstance(metadata, Mapping):
            raise e.vector_error(op, e.BAD_METADATA, f'invalid metadata for id="{vid}": expected an object')
        metadata = dict(metadata)
    try:
        text = compact_json(metadata)
    except (TypeError, ValueError) as exc:
        raise e.vector_error(op, e.BAD_METADATA, f'invalid metadata for id="{vid}": {exc}') from None
    # UTF-8 takes at most 3 bytes per str character (4 for a pair of them): short texts need no encoding to check
    size = len(text) if len(text) * 3 <= MAX_METADATA_BYTES else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_METADATA_BYTES:
        raise e.vector_error(
            op,
            e.BAD_METADATA,
            f'metadata for id="{vid}" is {size} bytes, over the limit of {MAX_METADATA_BYTES} bytes per vector',
        )
    out = MetadataJson(text)
    out.obj = metadata
    return out


def field(item: Any, name: str) -> Any:
    if isinstance(item, (dict, Mapping)):  # dict first: the ABC check is slow
        return item.get(name)
    return getattr(item, name, None)


class Batch(list):  # type: ignore[type-arg]
    """Checked rows ``(id, float32 values, namespace, metadata JSON)``; ``block`` is the batch's values as one float32
    matrix, row for row, when the fast path made one (so the store does not stack the rows again)."""

    block: Any = None


def vectors_arg(op: str, vectors: Any, dimensions: int) -> Batch:
    """``insert`` / ``upsert`` input -> ``[(id, float32 values, namespace, metadata JSON)]``, every check made first
    (a batch with one bad vector writes nothing, as the service rejects the whole request)."""
    if not isinstance(vectors, (list, tuple)):
        raise TypeError(f"{op.split('_')[1].lower()}() takes a list of vectors ({{id, values, namespace?, metadata?}})")
    if len(vectors) > MAX_VECTORS_PER_CALL:
        raise e.vector_error(
            op,
            e.TOO_MANY_VECTORS,
            f"too many vectors in one request: {len(vectors)}, the limit is {MAX_VECTORS_PER_CALL}",
        )
    block = _numpy_block(vectors, dimensions)
    out = Batch()
    if block is not None and all(block[1]) and all(type(item) is dict for item in vectors):
        # the common bulk case, with no per-row value checks left: ids, namespaces and metadata only
        for item, values in zip(vectors, block[0], strict=True):
            vid = check_id(op, item.get("id"))
            namespace = item.get("namespace")
            if namespace is not None:
                namespace = check_namespace(op, namespace)
            out.append((vid, values, namespace, metadata_json(op, vid, item.get("metadata"))))
        out.block = block[0]
        return out
    for row, item in enumerate(vectors):
        vid = check_id(op, field(item, "id"))
        if block is not None and block[1][row]:
            # already checked as part of the batch: a float32 row of the right length with finite values
            namespace = check_namespace(op, field(item, "namespace"))
            out.append((vid, block[0][row], namespace, metadata_json(op, vid, field(item, "metadata"))))
            continue
        raw = field(item, "values")
        if raw is None:
            raise e.vector_error(op, e.BAD_VECTOR, f'invalid vector for id="{vid}": values are missing')
        try:
            values = vector_values(raw)
        except TypeError as exc:
            raise e.vector_error(op, e.BAD_VECTOR, f'invalid vector for id="{vid}": {exc}') from None
        got = values.shape[0]
        if got != dimensions:
            raise e.vector_error(
                op,
                e.INSERT_DIMENSIONS,
                f'invalid vector for id="{vid}", expected {dimensions} dimensions, and got {got} dimensions',
            )
        namespace = check_namespace(op, field(item, "namespace"))
        out.append((vid, values, namespace, metadata_json(op, vid, field(item, "metadata"))))
    if block is not None and all(block[1]):
        out.block = block[0]
    return out


def _numpy_block(vectors: Any, dimensions: int) -> tuple[Any, Any] | None:
    """The fast path for a batch whose values are all 1-D numeric numpy arrays of the index's length (what a Worker
    computing embeddings with numpy passes): one float32 matrix for the batch and, per row, whether it is finite;
    checked with two vectorised reductions instead of a few numpy calls per vector. ``None`` for any other batch
    (lists, bytes, wrong lengths), which the per-vector path checks and explains row by row."""
    import numpy as np

    raws = []
    for item in vectors:
        raw = item.get("values") if type(item) is dict else field(item, "values")
        if type(raw) is not np.ndarray or raw.shape != (dimensions,) or raw.dtype.kind not in "fiu":
            return None
        raws.append(raw)
    if not raws:
        return None
    block = np.stack(raws).astype(np.float32, copy=False)
    # a float64 row sum is finite exactly when every value is (float32 values cannot overflow it)
    finite = np.isfinite(block.sum(axis=1, dtype=np.float64)).tolist()
    return block, finite


def ids_arg(op: str, ids: Any, limit: int | None = None) -> list[str]:
    if not isinstance(ids, (list, tuple)):
        raise TypeError(f"expected a list of vector ids, got {type(ids).__name__}")
    if limit is not None and len(ids) > limit:
        raise e.vector_error(op, e.TOO_MANY_IDS, f"too many ids in payload; max id count is {limit}")
    return [check_id(op, i) for i in ids]


def unpack_f32(blob: bytes) -> list[float]:
    return list(struct.unpack(f"<{len(blob) // 4}f", blob))


# -- query options ------------------------------------------------------------------------------------------------


class QueryOptions:
    __slots__ = ("filter", "namespace", "return_metadata", "return_values", "top_k")

    def __init__(self, top_k: int, return_values: bool, return_metadata: str, namespace: str | None, filter: Any):
        self.top_k = top_k
        self.return_values = return_values
        self.return_metadata = return_metadata
        self.namespace = namespace
        self.filter = filter


def query_options(options: Any, kwargs: Mapping[str, Any]) -> QueryOptions:
    """``query(v, {topK, returnValues, returnMetadata, filter, namespace})`` or the same as keywords."""
    if options is not None and not isinstance(options, Mapping):
        raise TypeError("query options must be an object (a dict) or keyword arguments")
    opts = {**(options or {}), **{k: v for k, v in kwargs.items() if v is not None}}
    unknown = set(opts) - {"topK", "returnValues", "returnMetadata", "filter", "namespace"}
    if unknown:
        raise TypeError(f"unknown query option(s): {', '.join(sorted(unknown))}")
    return_metadata = opts.get("returnMetadata", "none")
    # the binding maps the legacy booleans itself and rejects anything else before a request is made
    if return_metadata is True:
        return_metadata = "all"
    elif return_metadata is False:
        return_metadata = "none"
    elif return_metadata not in RETURN_METADATA:
        from flarebind.plugin import JsException

        shown = json.dumps(return_metadata) if isinstance(return_metadata, str) else str(return_metadata)
        raise JsException(
            f'Invalid returnMetadata option. Expected: true, false, "none", "indexed" or "all"; got: {shown}'
        )
    return_values = opts.get("returnValues", False)
    if not isinstance(return_values, bool):
        raise e.vector_error("VECTOR_QUERY", e.BAD_OPTION, "returnValues: expected a boolean")
    top_k = opts.get("topK", DEFAULT_TOP_K)
    if isinstance(top_k, bool) or not isinstance(top_k, (int, float)) or top_k != int(top_k) or top_k < 1:
        raise e.vector_error("VECTOR_QUERY", e.BAD_OPTION, f"invalid topK: expected a positive integer, got {top_k!r}")
    top_k = int(top_k)
    if (return_values or return_metadata == "all") and top_k > MAX_TOP_K_WITH_DATA:
        raise e.vector_error(
            "VECTOR_QUERY",
            e.TOP_K_LIMIT,
            f"with returnValues=true or returnMetadata=all, max top K is {MAX_TOP_K_WITH_DATA}, but got {top_k}; "
            f"for a top K up to {MAX_TOP_K}, retry with returnValues=false and returnMetadata=indexed",
        )
    if top_k > MAX_TOP_K:
        raise e.vector_error("VECTOR_QUERY", e.TOP_K_LIMIT, f"max top K is {MAX_TOP_K}, but got {top_k}")
    namespace = check_namespace("VECTOR_QUERY", opts.get("namespace"))
    return QueryOptions(top_k, return_values, return_metadata, namespace, opts.get("filter"))


# -- filters ------------------------------------------------------------------------------------------------------

EQUALITY = ("$eq", "$ne")
SETS = ("$in", "$nin")
LOWER = ("$gt", "$gte")
UPPER = ("$lt", "$lte")
OPERATORS = EQUALITY + SETS + LOWER + UPPER


def _filter_error(text: str) -> Exception:
    return e.vector_error("VECTOR_QUERY", e.BAD_FILTER, f"invalid filter: {text}")


def _scalar(value: Any) -> bool:
    return value is None or (
        isinstance(value, (str, bool, int, float)) and not (isinstance(value, float) and not math.isfinite(value))
    )


def parse_filter(filter: Any, indexes: Mapping[str, str]) -> list[tuple[str, str, Any]]:
    """A Vectorize filter -> ``[(property, operator, operand)]`` (AND-ed), checked as the service checks it:
    non-empty object under 2048 bytes of compact JSON, key rules, operator and operand types, allowed operator
    combinations, and every property backed by a metadata index of a matching type."""
    if not isinstance(filter, Mapping) or not filter:
        raise _filter_error("the filter must be a non-empty object")
    try:
        size = len(json.dumps(filter, separators=(",", ":"), ensure_ascii=False).encode())
    except (TypeError, ValueError) as exc:
        raise _filter_error(str(exc)) from None
    if size >= MAX_FILTER_BYTES:
        raise _filter_error(f"the filter's compact JSON is {size} bytes; it must be less than {MAX_FILTER_BYTES}")
    out: list[tuple[str, str, Any]] = []
    for key, spec in filter.items():
        if not isinstance(key, str) or key == "":
            raise _filter_error("filter keys cannot be empty")
        if '"' in key or key.startswith("$") or len(key) > MAX_FILTER_KEY_CHARS or "" in key.split("."):
            raise _filter_error(
                f'invalid key "{key}": keys cannot contain \'"\', start with "$", have empty parts around "." '
                f"(the nesting separator), or be longer than {MAX_FILTER_KEY_CHARS} characters"
            )
        ops = dict(spec) if isinstance(spec, Mapping) else {"$eq": spec}
        if not ops:
            raise _filter_error(f'no operator given for "{key}"')
        for op in ops:
            if op not in OPERATORS:
                raise _filter_error(f'unsupported operator "{op}" for "{key}"; supported: {", ".join(OPERATORS)}')
        names = set(ops)
        ranges = names & set(LOWER + UPPER)
        if len(names) > 1 and (names - ranges or len(ranges & set(LOWER)) > 1 or len(ranges & set(UPPER)) > 1):
            raise _filter_error(
                f'operators {", ".join(sorted(names))} cannot be combined for "{key}": only one lower bound ($gt or '
                "$gte) with one upper bound ($lt or $lte)"
            )
        kind = indexes.get(key)
        if kind is None:
            raise _filter_error(
                f'"{key}" has no metadata index; filtering needs one: `flarebind vectorize create-metadata-index '
                f"<index> --property-name {key} --type <string|number|boolean>`"
            )
        for op, operand in ops.items():
            if op in SETS:
                if not isinstance(operand, list) or not all(_scalar(v) for v in operand):
                    raise _filter_error(f'{op} on "{key}" takes an array of strings, numbers, booleans or null')
                for v in operand:
                    _check_type(key, op, v, kind)
            elif op in LOWER + UPPER:
                if isinstance(operand, bool) or not isinstance(operand, (str, int, float)) or not _scalar(operand):
                    raise _filter_error(f'{op} on "{key}" takes a string or a number')
                _check_type(key, op, operand, kind)
            else:
                if not _scalar(operand):
                    raise _filter_error(f'{op} on "{key}" takes a string, number, boolean or null')
                _check_type(key, op, operand, kind)
            out.append((key, op, operand))
    return out


_KINDS = {bool: "boolean", int: "number", float: "number", str: "string"}  # exact types, the common case


def value_kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def _check_type(key: str, op: str, value: Any, kind: str) -> None:
    got = value_kind(value)
    if value is not None and got != kind:
        raise _filter_error(f'{op} on "{key}" compares a {got} with a metadata index of type {kind}')


def indexed_string(value: str) -> str:
    """What a string metadata index holds: the first 64 bytes, cut back to a whole UTF-8 character."""
    if len(value) * 3 <= MAX_INDEXED_STRING_BYTES:  # at most 3 bytes per character: short strings fit as they are
        return value
    raw = value.encode("utf-8", "surrogatepass")
    if len(raw) <= MAX_INDEXED_STRING_BYTES:
        return value
    return raw[:MAX_INDEXED_STRING_BYTES].decode("utf-8", "ignore")


def lookup(metadata: Mapping[str, Any] | None, key: str) -> Any:
    """A dotted property path in a metadata object (``"pandas.nice"`` reads ``{"pandas": {"nice": …}}``)."""
    if "." not in key:
        return metadata.get(key) if isinstance(metadata, Mapping) else None
    node: Any = metadata
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def indexed_values(metadata: Mapping[str, Any] | None, indexes: Mapping[str, str]) -> dict[str, Any]:
    """The values of a vector's metadata its index holds: only properties with a metadata index, of that type."""
    out: dict[str, Any] = {}
    if not metadata:
        return out
    for prop, kind in indexes.items():
        value = metadata.get(prop) if "." not in prop else lookup(metadata, prop)
        if value is None or (_KINDS.get(type(value)) or value_kind(value)) != kind:
            continue
        out[prop] = indexed_string(value) if kind == "string" else value
    return out
