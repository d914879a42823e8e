"""ASGI / WSGI bridges with real FastAPI and Flask apps (skipped where those are not installed), and outbound
`fetch` against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

FASTAPI_WORKER = """
from fastapi import FastAPI, Request
from workers import WorkerEntrypoint

app = FastAPI()


@app.get("/items/{item_id}")
async def read_item(item_id: int, request: Request, q: str | None = None):
    env = request.scope["env"]
    await env.KV.put(f"item:{item_id}", q or "")
    return {"item_id": item_id, "q": q, "stored": await env.KV.get(f"item:{item_id}")}


@app.post("/echo")
async def echo(request: Request):
    return {"body": await request.json()}


@app.get("/sync")
def sync_route():
    return {"sync": True}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        import asgi

        return await asgi.fetch(app, request.js_object, self.env)
"""


async def test_fastapi_app_through_asgi(run_worker) -> None:
    pytest.importorskip("fastapi")
    rt = await run_worker(FASTAPI_WORKER, kv_namespaces={"KV": "kv"})
    got = await rt.dispatch_fetch("http://localhost/items/7?q=hello")
    assert got.status == 200
    assert await got.json() == {"item_id": 7, "q": "hello", "stored": "hello"}
    echoed = await rt.dispatch_fetch(
        "http://localhost/echo",
        method="POST",
        body=json.dumps({"x": [1]}),
        headers={"content-type": "application/json"},
    )
    assert await echoed.json() == {"body": {"x": [1]}}
    assert await (await rt.dispatch_fetch("http://localhost/sync")).json() == {"sync": True}
    missing = await rt.dispatch_fetch("http://localhost/nope")
    assert missing.status == 404
    bad = await rt.dispatch_fetch("http://localhost/items/not-a-number")
    assert bad.status == 422


async def test_fastapi_request_object_passed_directly(run_worker) -> None:
    pytest.importorskip("fastapi")
    rt = await run_worker(FASTAPI_WORKER.replace("request.js_object", "request"), kv_namespaces={"KV": "kv"})
    assert (await rt.dispatch_fetch("http://localhost/items/1")).status == 200


FLASK_WORKER = """
from flask import Flask, request as flask_request
from pyodide.ffi import run_sync
from workers import WorkerEntrypoint
from workers.wsgi import fetch as wsgi_fetch

app = Flask(__name__)


@app.route("/hello/<name>", methods=["GET", "POST"])
def hello(name):
    env = flask_request.environ["workers.env"]
    # sync code reaching an async binding, as django-cf does
    run_sync(env.KV.put("last", name))
    return {"hello": name, "last": run_sync(env.KV.get("last")), "method": flask_request.method,
            "data": flask_request.get_data(as_text=True)}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await wsgi_fetch(app, request, self.env)
"""


async def test_flask_app_through_wsgi(run_worker) -> None:
    pytest.importorskip("flask")
    rt = await run_worker(FLASK_WORKER, kv_namespaces={"KV": "kv"})
    response = await rt.dispatch_fetch("http://localhost/hello/ada", method="POST", body="payload")
    assert response.status == 200
    assert await response.json() == {"hello": "ada", "last": "ada", "method": "POST", "data": "payload"}
    assert (await rt.dispatch_fetch("http://localhost/missing")).status == 404


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "ua": self.headers.get("x-test")}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers["content-length"]))
        self.send_response(201)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_workers_fetch_and_js_fetch_and_pyfetch(run_worker, origin: str) -> None:
    rt = await run_worker(
        """
        from workers import Response, WorkerEntrypoint, fetch
        import js
        from pyodide.http import pyfetch
        from pyodide.ffi import to_js
        from js import Object

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                origin = self.env.ORIGIN
                a = await fetch(origin + "/a", headers={"x-test": "sdk"})
                init = to_js({"method": "POST", "body": "raw"}, dict_converter=Object.fromEntries)
                b = await js.fetch(origin + "/b", init)
                c = await pyfetch(origin + "/c")
                return Response.json({
                    "a": await a.json(), "a_status": a.status,
                    "b": await b.text(), "b_status": b.status,
                    "c": (await c.json())["path"],
                })
    """,
        vars={"ORIGIN": origin},
    )
    response = await rt.dispatch_fetch("http://localhost/")
    assert await response.json() == {
        "a": {"path": "/a", "ua": "sdk"},
        "a_status": 200,
        "b": "raw",
        "b_status": 201,
        "c": "/c",
    }


async def test_proxying_a_fetch_response_back(run_worker, origin: str) -> None:
    rt = await run_worker(
        """
        from js import fetch

        async def on_fetch(request, env):
            return fetch(env.ORIGIN + "/proxied")  # un-awaited, legacy style
    """,
        vars={"ORIGIN": origin},
        compatibility_date="2025-01-01",
    )
    response = await rt.dispatch_fetch("http://localhost/")
    assert response.status == 200
    assert (await response.json())["path"] == "/proxied"


async def test_fastapi_streaming_response_is_streamed(run_worker) -> None:
    pytest.importorskip("fastapi")
    rt = await run_worker("""
        import asyncio
        from fastapi import FastAPI
        from fastapi.responses import StreamingResponse
        from workers import WorkerEntrypoint
        import asgi

        app = FastAPI()

        @app.get("/events")
        async def events():
            async def gen():
                for i in range(3):
                    await asyncio.sleep(0)
                    yield f"data: {i}\\n\\n"
            return StreamingResponse(gen(), media_type="text/event-stream")

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return await asgi.fetch(app, request, self.env)
    """)
    response = await rt.dispatch_fetch("http://localhost/events")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    chunks = [chunk async for chunk in response.body]
    assert b"".join(chunks) == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"
    assert len(chunks) >= 3  # arrived as separate chunks, not one buffered body
