"""D1 databases: ``/d1/database`` and ``/d1/database/{id}/raw`` (Miniflare's), ``/query`` (Cloudflare's REST shape)."""

from __future__ import annotations

from typing import Any

from flarebind.explorer.envelope import INVALID, Invalid, Reply, error, ok

DATABASE_NOT_FOUND = 7404
_META = ("changed_db", "changes", "duration", "last_row_id", "rows_read", "rows_written", "size_after")


def list_databases(res: Any, query: dict[str, str]) -> Reply:
    items = [{"name": binding, "uuid": db_id, "version": "production"} for db_id, binding in res.d1.items()]
    name = query.get("name")
    if name:
        items = [db for db in items if name.lower() in db["name"].lower()]
    return ok(items, {"count": len(items)})


def _queries(payload: Any) -> list[dict[str, Any]]:
    """``{sql, params?}`` or ``{batch: [{sql, params?}]}`` (params are strings, as in Cloudflare's schema)."""

    def single(q: Any) -> bool:
        return (
            isinstance(q, dict)
            and isinstance(q.get("sql"), str)
            and (
                q.get("params") is None
                or (isinstance(q["params"], list) and all(isinstance(p, str) for p in q["params"]))
            )
        )

    if single(payload):
        return [payload]
    if (
        isinstance(payload, dict)
        and isinstance(payload.get("batch"), list)
        and all(single(q) for q in payload["batch"])
    ):
        return list(payload["batch"])
    raise Invalid("Invalid input")


async def _run(res: Any, db_id: str, payload: Any) -> tuple[list[tuple[Any, dict[str, Any]]], Reply | None]:
    queries = _queries(payload)
    binding = res.d1.get(db_id)
    if binding is None:
        return [], error(404, DATABASE_NOT_FOUND, f"The database {db_id} could not be found")
    db = res.binding(binding)
    out = []
    try:
        for query in queries:
            statement = db.prepare(query["sql"])
            if query.get("params"):
                statement = statement.bind(*query["params"])
            out.append((await statement.all(), query))
    except Exception as exc:  # the database's own message, as Miniflare passes it on
        return [], error(500, INVALID, str(exc) or "Query failed")
    return out, None


def _meta(result: Any) -> dict[str, Any]:
    meta = result["meta"]
    return {name: meta.get(name) for name in _META if meta.get(name) is not None}


async def raw(res: Any, db_id: str, payload: Any) -> Reply:
    ran, failed = await _run(res, db_id, payload)
    if failed is not None:
        return failed
    results = []
    for result, _query in ran:
        rows = list(result["results"])
        columns = list(rows[0].keys()) if rows else []
        results.append(
            {
                "meta": _meta(result),
                "results": {"columns": columns, "rows": [[row[c] for c in columns] for row in rows]},
                "success": bool(result["success"]),
            }
        )
    return ok(results)


async def query(res: Any, db_id: str, payload: Any) -> Reply:
    """Cloudflare's ``/query``: rows as objects (Miniflare's explorer has only ``/raw``)."""
    ran, failed = await _run(res, db_id, payload)
    if failed is not None:
        return failed
    return ok(
        [
            {"meta": _meta(r), "results": [dict(row) for row in r["results"]], "success": bool(r["success"])}
            for r, _ in ran
        ]
    )


__all__ = ["INVALID", "list_databases", "query", "raw"]
