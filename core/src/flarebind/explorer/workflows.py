"""The local explorer's Workflows routes, as Miniflare serves them under ``/cdn-cgi/explorer/api`` in ``wrangler dev``.

``wrangler workflows … --local`` and ``flarebind workflows … --local`` talk to a running dev server through it:

    GET    /workflows                                   workflows of this session
    GET    /workflows/<name>                            details and instance counts by status
    DELETE /workflows/<name>                            delete every instance
    GET    /workflows/<name>/instances?page&per_page&status
    POST   /workflows/<name>/instances                  {"id"?, "params"?}  -> {"id"}
    GET    /workflows/<name>/instances/<id>             status, params, timestamps, output, error, steps
    DELETE /workflows/<name>/instances/<id>
    PATCH  /workflows/<name>/instances/<id>/status      {"action": "pause"|"resume"|"restart"|"terminate"}
    POST   /workflows/<name>/instances/<id>/events/<type>   body = the event payload (JSON)

Responses use Cloudflare's envelope ``{"success", "errors": [{"code", "message"}], "messages", "result"}``.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any
from urllib.parse import parse_qs, unquote

from flarebind.explorer.envelope import INTERNAL, Reply
from flarebind.explorer.envelope import error as explorer_error
from flarebind.runtime import serial
from flarebind.runtime.sdk.response import JsResponse

PREFIX = "/cdn-cgi/explorer/api/workflows"
NOT_FOUND = 10501
COUNTED = ("complete", "errored", "paused", "queued", "running", "terminated", "waiting", "waitingForPause")


def _json(status: int, payload: Any) -> JsResponse:
    return JsResponse(json.dumps(serial.plain(payload)), status=status, headers={"content-type": "application/json"})


def _ok(result: Any, **extra: Any) -> JsResponse:
    return _json(200, {"success": True, "errors": [], "messages": [], "result": result, **extra})


def _error(status: int, code: int, message: str) -> JsResponse:
    return _json(
        status, {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}
    )


def _iso(ms: float | None) -> str | None:
    if ms is None:
        return None
    return (
        _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _workflows(runtime: Any) -> dict[str, dict[str, Any]]:
    """Workflow name -> its spec, for the workflow bindings of this runtime."""
    out: dict[str, dict[str, Any]] = {}
    for binding, spec in (runtime._specs or {}).items():
        if spec.get("type") == "workflow":
            out.setdefault(spec.get("name") or binding, {**spec, "binding": binding})
    return out


def _engine(runtime: Any, name: str) -> Any:
    from flarebind.runtime.workflows.host import host_for

    spec = _workflows(runtime)[name]
    return host_for(runtime._ctx).engine(name, spec["class_name"], spec.get("script_name"), spec.get("limits"))


def instance_details(engine: Any, id: str) -> dict[str, Any]:
    row = engine.require(id)
    steps = []
    for s in engine.store.steps(id):
        value = serial.loads(s["value"]) if s["done"] and s["error"] is None else None
        error = serial.loads(s["error"]) if s["error"] is not None else None
        base = {"name": s["name"], "start": _iso(s["started_ms"]), "end": _iso(s["ended_ms"])}
        if s["kind"] == "sleep":
            steps.append({**base, "finished": bool(s["done"]), "type": "sleep", "error": None})
        elif s["kind"] == "wait":
            steps.append(
                {
                    **base,
                    "finished": bool(s["done"]),
                    "type": "waitForEvent",
                    "error": error,
                    "output": value,
                }
            )
        else:
            success = None if not s["done"] else error is None
            attempts = [
                {
                    "start": _iso(a.get("start")),
                    "end": _iso(a.get("end")),
                    "success": a.get("success"),
                    "error": a.get("error"),
                }
                for a in json.loads(s["attempt_log"] or "[]")
            ]
            step = {
                **base,
                "success": success,
                "type": "step",
                "config": serial.loads(s["config"]),
                "attempts": attempts,
            }
            if success:
                step["output"] = value
            steps.append(step)
    return {
        "status": row["status"],
        "params": serial.loads(row["params"]),
        "queued": _iso(row["created_ms"]),
        "start": _iso(row["started_ms"]),
        "end": _iso(row["ended_ms"]),
        "output": serial.loads(row["output"]),
        "error": serial.loads(row["error"]),
        "steps": steps,
        "step_count": len(steps),
    }


async def handle(runtime: Any, method: str, path: str, query: str, body: bytes) -> JsResponse:
    parts = [unquote(p) for p in path[len(PREFIX) :].strip("/").split("/") if p]
    workflows = _workflows(runtime)
    if not parts:
        if method != "GET":
            return _error(405, 10001, f"Method {method} not allowed")
        result = [
            {"name": n, "class_name": s["class_name"], "script_name": s.get("script_name") or _script(runtime)}
            for n, s in workflows.items()
        ]
        return _ok(result, result_info={"count": len(result)})
    name = parts[0]
    if name not in workflows:
        return _error(404, NOT_FOUND, f"Workflow '{name}' not found.")
    engine = _engine(runtime, name)
    rest = parts[1:]
    try:
        if not rest:
            if method == "DELETE":
                for row in engine.store.instances():
                    engine.delete(row["id"])
                return _ok({"status": "ok", "success": True})
            counts = dict.fromkeys(COUNTED, 0)
            for row in engine.store.instances():
                counts[row["status"]] = counts.get(row["status"], 0) + 1
            spec = workflows[name]
            return _ok(
                {
                    "name": name,
                    "class_name": spec["class_name"],
                    "script_name": spec.get("script_name") or _script(runtime),
                    "instances": counts,
                }
            )
        if rest[0] != "instances":
            return _error(404, 10001, "Not found")
        if len(rest) == 1:
            if method == "POST":
                payload = json.loads(body or b"{}") if body else {}
                instance_id = engine.create(payload.get("id"), payload.get("params"))
                return _ok({"id": instance_id})
            q = parse_qs(query)
            page = int(q.get("page", ["1"])[0])
            per_page = int(q.get("per_page", ["25"])[0])
            status = q.get("status", [None])[0]
            rows = engine.store.instances(status)
            chosen = rows[(page - 1) * per_page : page * per_page]
            result = [{"id": r["id"], "status": r["status"], "created_on": r["created_on"]} for r in chosen]
            info = {
                "page": page,
                "per_page": per_page,
                "total_count": len(rows),
                "total_pages": max(1, -(-len(rows) // per_page)),
            }
            return _ok(result, result_info=info)
        instance_id = rest[1]
        if len(rest) == 2:
            if method == "DELETE":
                engine.require(instance_id)
                engine.delete(instance_id)
                return _ok({"success": True})
            return _ok(instance_details(engine, instance_id))
        if rest[2] == "status" and method == "PATCH":
            action = json.loads(body or b"{}").get("action")
            if action not in ("pause", "resume", "restart", "terminate"):
                return _error(
                    400, 10001, f"Invalid action '{action}'. Must be one of: pause, resume, restart, terminate."
                )
            await getattr(engine, action)(instance_id)
            return _ok({"success": True})
        if rest[2] == "events" and len(rest) == 4 and method == "POST":
            payload = json.loads(body) if body else None
            engine.send_event(instance_id, rest[3], payload)
            return _ok({"success": True})
    except Exception as exc:
        message = str(exc)
        if message == "instance.not_found":
            return _error(404, NOT_FOUND, f"Workflow instance '{rest[1] if len(rest) > 1 else ''}' not found.")
        return _error(500, 10001, message)
    return _error(404, 10001, "Not found")


def _script(runtime: Any) -> str:
    config = getattr(runtime, "config", None)
    return str(config.name) if config is not None and config.name else runtime.main.stem


async def handle_explorer(res: Any, method: str, path: str, query: str, body: bytes) -> Reply:
    """The explorer router's entry (``path`` relative to ``/cdn-cgi/explorer/api``). Workflows run only inside
    ``flarebind dev``: their engine needs the runtime."""
    if res.runtime is None:
        return explorer_error(
            501, INTERNAL, "Workflows run inside `flarebind dev`: start it to list and drive Workflow instances."
        )
    await res.runtime.ready
    response = await handle(res.runtime, method, "/cdn-cgi/explorer/api" + path, query, body)
    return Reply(response.status, await response.arrayBuffer(), dict(response.headers.raw_items()))
