"""The in-memory search structure of one index: a float32 matrix updated in place, and metadata-index columns.

Rows live in slots of a preallocated matrix; an upsert overwrites its slot, a delete frees it for reuse. On Linux the
matrix is a view of one anonymous mapping reserving address space for a million rows (untouched pages cost no
memory), so growing the index does not copy it; elsewhere, or past the reservation, it grows by doubling.

A query scores the candidate rows with one BLAS matrix-vector product, picks the best few with ``argpartition`` and
then recomputes those scores exactly in float64 from the stored float32 values, so results are the exact k nearest
neighbours with exact scores (the fast product only chooses candidates; a margin of extra candidates absorbs its
float32 rounding).

Filters narrow the rows *before* scoring: namespace and metadata-index columns give a boolean mask, and when it keeps
less than half of the rows only those rows are scored.
"""

from __future__ import annotations

import mmap
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

# extra candidates re-scored exactly beyond top-k, so float32 rounding in the fast pass cannot drop a true neighbour
_RESCORE_MARGIN = 16
# below this share of rows kept by a filter, only the kept rows are scored (gathered first)
_GATHER_BELOW = 0.5
# a scored block smaller than this many cells skips BLAS (see ``search``)
_SINGLE_THREAD_CELLS = 1 << 21
# rows of address space reserved for an index's values (not memory: a page is allocated when first written). A
# doubling matrix copies every row at each doubling and faults in a fresh array, about a third of the time of a bulk
# insert at 100k x 768; a reservation does neither. 2^20 rows is 3 GiB of address space at 768 dimensions; an index
# that outgrows it moves to a reservation twice as large (one copy per doubling past a million vectors).
_RESERVE_ROWS = 1 << 20
_MAP_NORESERVE = 0x4000  # Linux: no swap accounting for the reservation (not exported by Python's mmap module)


def _allocate(rows: int, dimensions: int) -> Any:
    """A zeroed ``(rows', dimensions)`` float32 matrix with ``rows' >= rows``: on Linux a view of a reserved anonymous
    mapping with transparent huge pages, elsewhere (or when the reservation is refused) an array of exactly ``rows``."""
    reserve = max(rows, _RESERVE_ROWS)
    if sys.platform == "linux":
        flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _MAP_NORESERVE
        try:
            region = mmap.mmap(-1, reserve * 4 * dimensions, flags=flags)
        except OSError:  # a strict overcommit policy or an address-space limit (ulimit -v): grow by doubling
            pass
        else:
            try:
                region.madvise(mmap.MADV_HUGEPAGE)  # 2 MiB pages: fewer faults while filling, faster scans
            except (AttributeError, OSError):
                pass
            return np.frombuffer(region, dtype=np.float32).reshape(reserve, dimensions)
    return np.zeros((rows, dimensions), dtype=np.float32)


class Column:
    """The values one metadata index holds for each slot (missing: NaN, or -1 for booleans and strings).

    Strings are dictionary-encoded (an int32 code per slot), so equality and set tests compare integers and a
    range test only compares the distinct strings.
    """

    def __init__(self, kind: str, capacity: int) -> None:
        self.kind = kind
        if kind == "number":
            self.values = np.full(capacity, np.nan, dtype=np.float64)
        elif kind == "boolean":
            self.values = np.full(capacity, -1, dtype=np.int8)
        else:
            self.values = np.full(capacity, -1, dtype=np.int32)
        self.codes: dict[str, int] = {}
        self.present = np.zeros(capacity, dtype=bool)

    def grow(self, capacity: int) -> None:
        old = self.values
        fresh = Column(self.kind, capacity)
        fresh.values[: len(old)] = old  # string codes stay valid: the dictionary is kept
        fresh.present[: len(old)] = self.present
        self.values, self.present = fresh.values, fresh.present

    def set(self, slot: int, value: Any) -> None:
        if value is None:
            self.clear(slot)
            return
        if self.kind == "string":
            code = self.codes.get(value)
            if code is None:
                code = self.codes[value] = len(self.codes)
            self.values[slot] = code
        else:
            self.values[slot] = int(value) if self.kind == "boolean" else value
        self.present[slot] = True

    def set_many(self, slots: Any, values: list[Any]) -> None:
        """``set`` for many slots at once (``None``: the slot has no value), one numpy assignment per array."""
        present = [x is not None for x in values]
        if self.kind == "string":
            codes = self.codes
            out = []
            for x in values:
                if x is None:
                    out.append(-1)
                    continue
                code = codes.get(x)
                if code is None:
                    code = codes[x] = len(codes)
                out.append(code)
            self.values[slots] = out
        elif self.kind == "boolean":
            self.values[slots] = [-1 if x is None else int(x) for x in values]
        else:
            self.values[slots] = [np.nan if x is None else x for x in values]
        self.present[slots] = present

    def clear(self, slot: int) -> None:
        self.values[slot] = np.nan if self.kind == "number" else -1
        self.present[slot] = False

    def mask(self, n: int, op: str, operand: Any) -> Any:
        """Rows ``< n`` matching ``op operand`` (``$ne`` / ``$nin`` also match rows without the property)."""
        if op == "$eq":
            return self._eq(n, operand)
        if op == "$ne":
            return ~self._eq(n, operand)
        if op == "$in":
            out = np.zeros(n, dtype=bool)
            for v in operand:
                out |= self._eq(n, v)
            return out
        if op == "$nin":
            out = np.ones(n, dtype=bool)
            for v in operand:
                out &= ~self._eq(n, v)
            return out
        if self.kind == "string":
            test = {"$lt": str.__lt__, "$lte": str.__le__, "$gt": str.__gt__, "$gte": str.__ge__}[op]
            hits = [code for text, code in self.codes.items() if test(text, operand)]
            return np.isin(self.values[:n], np.asarray(hits, dtype=np.int32))
        present = self.present[:n]
        out = np.zeros(n, dtype=bool)
        rows = np.flatnonzero(present)
        if rows.size:
            vals = self.values[rows]
            if op == "$lt":
                hit = vals < operand
            elif op == "$lte":
                hit = vals <= operand
            elif op == "$gt":
                hit = vals > operand
            else:
                hit = vals >= operand
            out[rows] = np.asarray(hit, dtype=bool)
        return out

    def _eq(self, n: int, value: Any) -> Any:
        if value is None:
            return ~self.present[:n]
        if self.kind == "boolean":
            return self.values[:n] == int(value)
        if self.kind == "string":
            code = self.codes.get(value)
            return np.zeros(n, dtype=bool) if code is None else self.values[:n] == code
        return self.values[:n] == float(value)


class Matrix:
    """Vectors of one index by slot, with the id, namespace and indexed metadata of each."""

    def __init__(self, dimensions: int, metric: str, indexes: Mapping[str, str], capacity: int = 1024) -> None:
        self.dimensions = dimensions
        self.metric = metric
        self.capacity = capacity
        self.vectors = _allocate(capacity, dimensions)  # may have more rows than ``capacity`` (a reservation)
        # cosine: 1/|v| (0 for a zero vector, which scores 0); euclidean: |v|^2; kept per row as rows are written, so a
        # cosine query is one mat-vec over the stored values and one multiply (not a second, normalised copy of the
        # matrix: the stored values are what values and exact scores come from)
        self.norms = np.zeros(capacity, dtype=np.float32)
        self.live = np.zeros(capacity, dtype=bool)
        self.namespaces = np.full(capacity, -1, dtype=np.int32)
        self.namespace_codes: dict[str, int] = {}
        self.namespace_names: list[str] = []  # code -> name, so a match's namespace needs no SQLite lookup
        self.ids: list[str | None] = [None] * capacity
        self.slots: dict[str, int] = {}
        self.free: list[int] = []
        self.high = 0  # slots below this may be live
        self.columns = {prop: Column(kind, capacity) for prop, kind in indexes.items()}

    def __len__(self) -> int:
        return len(self.slots)

    # -- writes ---------------------------------------------------------------------------------------------------

    def _reserve(self, extra: int) -> None:
        need = self.high + extra
        if need <= self.capacity:
            return
        capacity = self.capacity
        while capacity < need:
            capacity *= 2
        if capacity > self.vectors.shape[0]:
            vectors = _allocate(capacity, self.dimensions)
            vectors[: self.high] = self.vectors[: self.high]
            self.vectors = vectors
        for name in ("norms", "live", "namespaces"):
            old = getattr(self, name)
            new = np.zeros(capacity, dtype=old.dtype) if name != "namespaces" else np.full(capacity, -1, np.int32)
            new[: len(old)] = old
            setattr(self, name, new)
        self.ids.extend([None] * (capacity - self.capacity))
        for column in self.columns.values():
            column.grow(capacity)
        self.capacity = capacity

    def put_many(self, rows: Iterable[tuple[str, Any, str | None, Mapping[str, Any] | None]]) -> None:
        """Insert or replace ``(id, float32 values, namespace, indexed metadata)`` rows (ids unique)."""
        rows = list(rows)
        if rows:
            block = np.stack([r[1] for r in rows]) if len(rows) > 1 else rows[0][1][None, :]
            self.put_batch([r[0] for r in rows], block, [r[2] for r in rows], [r[3] for r in rows])

    def put_batch(
        self, ids: list[str], block: Any, namespaces: list[str | None], indexed: list[Mapping[str, Any] | None]
    ) -> None:
        """Insert or replace a batch given as columns: unique ids, their float32 values as one matrix, namespaces and
        indexed metadata. New ids take freed slots first, then the next slots in a row; the per-row work left in
        Python is dictionary bookkeeping, every array is written with one numpy assignment."""
        n = len(ids)
        if n == 0:
            return
        self._reserve(n)
        get = self.slots.get
        slot_list = [get(vid) for vid in ids]
        fresh = [k for k, slot in enumerate(slot_list) if slot is None]
        if fresh:
            reused = min(len(self.free), len(fresh))
            taken = [self.free.pop() for _ in range(reused)]
            taken.extend(range(self.high, self.high + len(fresh) - reused))
            self.high += len(fresh) - reused
            for k, slot in zip(fresh, taken, strict=True):
                slot_list[k] = slot
                self.ids[slot] = ids[k]
            self.slots.update(zip([ids[k] for k in fresh], taken, strict=True))
        slots = np.asarray(slot_list, dtype=np.int64)
        if any(ns is not None for ns in namespaces):
            self.namespaces[slots] = [-1 if ns is None else self._namespace_code(ns) for ns in namespaces]
        else:
            self.namespaces[slots] = -1
        for prop, column in self.columns.items():
            column.set_many(slots, [None if ix is None else ix.get(prop) for ix in indexed])
        self.vectors[slots] = block
        self.live[slots] = True
        self._set_norms(slots, block)

    def _namespace_code(self, namespace: str) -> int:
        code = self.namespace_codes.get(namespace)
        if code is None:
            code = self.namespace_codes[namespace] = len(self.namespace_names)
            self.namespace_names.append(namespace)
        return code

    def namespace_of(self, slot: int) -> str | None:
        code = int(self.namespaces[slot])
        return None if code < 0 else self.namespace_names[code]

    def _set_norms(self, slots: Any, block: Any) -> None:
        sq = np.einsum("ij,ij->i", block, block)
        if self.metric == "cosine":
            norm = np.sqrt(sq)
            with np.errstate(divide="ignore"):
                inv = np.where(norm > 0, 1.0 / norm, 0.0)
            self.norms[slots] = inv
        else:
            self.norms[slots] = sq

    def remove(self, vid: str) -> bool:
        slot = self.slots.pop(vid, None)
        if slot is None:
            return False
        self.ids[slot] = None
        self.live[slot] = False
        self.namespaces[slot] = -1
        for column in self.columns.values():
            column.clear(slot)
        self.free.append(slot)
        return True

    def set_indexes(self, indexes: Mapping[str, str]) -> None:
        """A metadata index created (an empty column: earlier vectors are not in it) or deleted."""
        for prop in list(self.columns):
            if indexes.get(prop) != self.columns[prop].kind:
                del self.columns[prop]
        for prop, kind in indexes.items():
            if prop not in self.columns:
                self.columns[prop] = Column(kind, self.capacity)

    def values_of(self, vid: str) -> Any | None:
        slot = self.slots.get(vid)
        return None if slot is None else self.vectors[slot]

    # -- search ---------------------------------------------------------------------------------------------------

    def candidates(self, namespace: str | None, terms: list[tuple[str, str, Any]]) -> Any | None:
        """A boolean mask over slots ``< high`` of rows a query may return; ``None`` means every slot is live and
        nothing is filtered (the fast path)."""
        n = self.high
        mask = None if len(self.slots) == n else self.live[:n].copy()
        if namespace is not None:
            code = self.namespace_codes.get(namespace)
            ns_mask = np.zeros(n, dtype=bool) if code is None else self.namespaces[:n] == code
            mask = ns_mask if mask is None else mask & ns_mask
        for prop, op, operand in terms:
            term = self.columns[prop].mask(n, op, operand)
            mask = term if mask is None else mask & term
        if mask is not None and terms:
            mask &= self.live[:n]  # $ne / $nin match empty slots too
        return mask

    def search(
        self, query: Any, top_k: int, namespace: str | None, terms: list[tuple[str, str, Any]]
    ) -> list[tuple[int, float]]:
        """``[(slot, exact score)]`` best first: cosine similarity descending, euclidean distance ascending,
        dot-product as the negated dot product ascending (Cloudflare's score and order)."""
        n = self.high
        if n == 0:
            return []
        mask = self.candidates(namespace, terms)
        rows = None
        if mask is not None:
            count = int(mask.sum())
            if count == 0:
                return []
            if count < _GATHER_BELOW * n:
                rows = np.flatnonzero(mask)
        q = np.ascontiguousarray(query, dtype=np.float32)
        block = self.vectors[:n] if rows is None else self.vectors[rows]
        norms = self.norms[:n] if rows is None else self.norms[rows]
        # a small gathered block is scored on this thread (einsum, no BLAS): OpenBLAS splits every mat-vec over its
        # threads, and waking them costs ~1 ms in some processes on this 2-vCPU VM (a 1000 x 768 filtered query at
        # 10k took 0.33-0.45 ms or 1.2-1.5 ms per process with BLAS, 0.43-0.66 ms with einsum, 6 processes each)
        dots = np.einsum("ij,j->i", block, q) if block.size < _SINGLE_THREAD_CELLS else block @ q
        # "badness": lower is better for every metric, so one selection serves all three
        if self.metric == "cosine":
            # ranking needs no |q|: it is the same positive factor for every row (a zero query scores every row 0)
            bad = dots * norms
            np.negative(bad, out=bad)
        elif self.metric == "euclidean":
            bad = norms - 2.0 * dots
        else:
            bad = -dots
        if rows is None and mask is not None:
            bad[~mask] = np.inf
        available = bad.shape[0] if rows is not None or mask is None else int(mask.sum())
        want = min(top_k + _RESCORE_MARGIN, available)
        pick = np.argpartition(bad, want - 1)[:want] if want < bad.shape[0] else np.arange(bad.shape[0])
        pick = pick[np.isfinite(bad[pick])] if mask is not None and rows is None else pick
        slots = pick if rows is None else rows[pick]
        exact = self.exact_scores(q, slots)
        order = np.lexsort((slots, -exact if self.metric == "cosine" else exact))[:top_k]
        return [(int(slots[i]), float(exact[i])) for i in order]

    def exact_scores(self, query: Any, slots: Any) -> Any:
        """Scores in float64 from the stored float32 values (what a brute-force reference computes)."""
        block = self.vectors[slots].astype(np.float64)
        q = np.asarray(query, dtype=np.float64)
        if self.metric == "cosine":
            # |b| |q| from the squared norms (einsum and a dot: a few rows, so numpy's per-call cost is what counts)
            denom = np.sqrt(np.einsum("ij,ij->i", block, block)) * np.sqrt(q @ q)
            out = np.zeros(len(block))
            return np.divide(block @ q, denom, out=out, where=denom > 0)  # a zero vector scores 0
        if self.metric == "euclidean":
            diff = block - q
            return np.sqrt(np.einsum("ij,ij->i", diff, diff))
        return -(block @ q)
