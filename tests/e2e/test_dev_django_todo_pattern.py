"""django-todo-d1's whole app pattern in a real `flarebind dev`, without Django: the example ran unchanged on
flarebind (Python 3.13, django + django-cf installed beside flarebind), and this test keeps each piece it relies on.

- `wrangler.jsonc` with `assets` (`run_worker_first = ["/api/*"]`, no binding) and a D1 database whose SQL migrations
  are applied with `flarebind d1 migrations apply NAME --local` before `dev`;
- `class Default(DjangoCF, WorkerEntrypoint)`: a mixin's `fetch` runs a WSGI app through `workers.wsgi.fetch(app,
  request, env)`;
- django-cf's D1 backend: `from workers import env` inside the (synchronous) WSGI call, then
  `pyodide.ffi.run_sync(stmt.raw())` for reads and `run_sync(stmt.all())["meta"]["last_row_id"]` for writes;
- the static front end (`/`, `/app.js`, `/style.css`) answered before the Worker.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from .devproc import BIN, DevProcess

CONFIG = """{
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "django-todo-d1-worker",
  "main": "src/entry.py",
  "compatibility_date": "2026-04-01",
  "compatibility_flags": ["python_workers"],
  "assets": {
    "directory": "./public",
    "run_worker_first": ["/api/*"]
  },
  "d1_databases": [
    {
      "binding": "DB",
      "database_name": "django-todo-d1",
      "database_id": "00000000-0000-0000-0000-000000000000", // Replace with your D1 database UUID.
      "migrations_dir": "./migrations"
    }
  ]
}
"""

MIGRATION = """CREATE TABLE IF NOT EXISTS todos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title VARCHAR(200) NOT NULL,
    completed BOOLEAN NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS todos_created_at_id_idx
ON todos (created_at DESC, id DESC);
"""

# django_cf's shape: a mixin whose fetch hands the request to a WSGI app
CF_MIXIN = """
import os

from workers import wsgi


async def handle_wsgi(request, app, env=None):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    return await wsgi.fetch(app, request, env)


class DjangoCF:
    def get_app(self):
        raise NotImplementedError("Please implement get_app in your django_cf worker")

    async def fetch(self, request):
        return await handle_wsgi(request, self.get_app(), self.env)
"""

# django_cf.db.backends.d1's calls, from synchronous code inside the WSGI app
BACKEND = """
from pyodide.ffi import run_sync


def run_query(sql, params=(), binding="DB"):
    from workers import env

    db = getattr(env, binding)
    stmt = db.prepare(sql).bind(*params) if params else db.prepare(sql)
    if sql.lstrip().upper().startswith("SELECT"):
        return run_sync(stmt.raw()), None
    response = run_sync(stmt.all())
    meta = response["meta"]
    return response["results"], (meta["rows_written"], meta["last_row_id"])
"""

APP = """
import json
import re

from backend import run_query


def _json(start_response, status, payload):
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _todo(row):
    return {"id": row[0], "title": row[1], "completed": bool(row[2])}


def application(environ, start_response):
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    size = int(environ.get("CONTENT_LENGTH") or 0)
    payload = json.loads(environ["wsgi.input"].read(size) or b"{}") if size else {}
    if path == "/api/health/":
        return _json(start_response, "200 OK", {"status": "ok"})
    if path == "/api/todos/" and method == "GET":
        rows, _ = run_query("SELECT id, title, completed FROM todos ORDER BY created_at DESC, id DESC")
        return _json(start_response, "200 OK", {"todos": [_todo(r) for r in rows]})
    if path == "/api/todos/" and method == "POST":
        title = str(payload.get("title", "")).strip()
        if not title:
            return _json(start_response, "400 Bad Request", {"error": "The 'title' field cannot be blank."})
        _, (written, last_id) = run_query("INSERT INTO todos (title) VALUES (?)", (title,))
        rows, _ = run_query("SELECT id, title, completed FROM todos WHERE id = ?", (last_id,))
        return _json(start_response, "201 Created", {"todo": _todo(rows[0]), "written": written})
    match = re.fullmatch(r"/api/todos/(\\d+)/", path)
    if match:
        todo_id = int(match.group(1))
        if method == "PATCH":
            run_query("UPDATE todos SET completed = ? WHERE id = ?", (1 if payload["completed"] else 0, todo_id))
        elif method == "DELETE":
            run_query("DELETE FROM todos WHERE id = ?", (todo_id,))
            start_response("204 No Content", [])
            return [b""]
        rows, _ = run_query("SELECT id, title, completed FROM todos WHERE id = ?", (todo_id,))
        if not rows:
            return _json(start_response, "404 Not Found", {"error": "TODO not found."})
        return _json(start_response, "200 OK", {"todo": _todo(rows[0])})
    return _json(start_response, "404 Not Found", {"error": "Not found."})
"""

ENTRY = """
import os

from cf_mixin import DjangoCF
from workers import WorkerEntrypoint

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todo_project.settings")


class Default(DjangoCF, WorkerEntrypoint):
    def get_app(self):
        from todo_app import application

        return application
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    pytest.importorskip("flarebind_d1.local", reason="the D1 local simulator is not installed")
    (tmp_path / "wrangler.jsonc").write_text(CONFIG)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_create_todos.sql").write_text(MIGRATION)
    src = tmp_path / "src"
    src.mkdir()
    for name, code in {"entry": ENTRY, "cf_mixin": CF_MIXIN, "backend": BACKEND, "todo_app": APP}.items():
        (src / f"{name}.py").write_text(textwrap.dedent(code))
    public = tmp_path / "public"
    public.mkdir()
    (public / "index.html").write_text('<!doctype html><link rel="stylesheet" href="/style.css"><script src="/app.js">')
    (public / "app.js").write_text("fetch('/api/todos/')")
    (public / "style.css").write_text(":root{--a:1}")
    return tmp_path


def test_the_whole_app_pattern(project: Path, clean_env: dict[str, str]) -> None:
    applied = subprocess.run(
        [str(BIN / "flarebind"), "d1", "migrations", "apply", "django-todo-d1", "--local"],
        cwd=project,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "0001_create_todos.sql" in applied.stdout
    dev = DevProcess(project, env=clean_env)
    try:
        dev.wait_for_output("Ready on")
        # the front end comes from the assets, before the Worker
        assert dev.get("/").text.startswith("<!doctype html>")
        assert dev.get("/app.js").headers["content-type"] == "text/javascript; charset=utf-8"
        assert dev.get("/style.css").text == ":root{--a:1}"
        # the API is the Worker's (run_worker_first = ["/api/*"])
        assert dev.get("/api/health/").json() == {"status": "ok"}
        assert dev.get("/api/todos/").json() == {"todos": []}
        created = dev.client.post("/api/todos/", content=json.dumps({"title": " buy milk "}))
        assert created.status_code == 201
        assert created.json() == {"todo": {"id": 1, "title": "buy milk", "completed": False}, "written": 1}
        blank = dev.client.post("/api/todos/", content=json.dumps({"title": " "}))
        assert (blank.status_code, blank.json()) == (400, {"error": "The 'title' field cannot be blank."})
        patched = dev.client.patch("/api/todos/1/", content=json.dumps({"completed": True}))
        assert patched.json() == {"todo": {"id": 1, "title": "buy milk", "completed": True}}
        assert dev.get("/api/todos/").json()["todos"] == [{"id": 1, "title": "buy milk", "completed": True}]
        assert dev.client.delete("/api/todos/1/").status_code == 204
        gone = dev.get("/api/todos/1/")
        assert (gone.status_code, gone.json()) == (404, {"error": "TODO not found."})
    finally:
        assert dev.stop() == 0, dev.output
