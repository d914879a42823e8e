"""Behaviour the Python Workers SDK's own tests (cloudflare/workers-py ``packages/runtime-sdk/tests``) pin, one test
each: ``workers.rpc`` wrapper types, the ASGI bridge after an app error, the SDK names a Worker imports. (R2 results
by key and KV's texts / memoryviews are in the conformance suites, so both binding paths are held to them.)"""

from __future__ import annotations

import json
import logging

import pytest

pytest.importorskip("fastapi")

RPC_WORKER = """
import json
from workers import Response, WorkerEntrypoint
from workers.rpc import _BindingWrapper, _EnvWrapper, _FetcherWrapper, _RpcStubWrapper, JsDict


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        env = self.env
        statement = env.DB.prepare("SELECT ?1 AS x")
        bound = statement.bind(1)
        row = await bound.first()
        return Response(json.dumps({
            "kv": isinstance(env.KV, _BindingWrapper),
            "kv_fetcher": isinstance(env.KV, _FetcherWrapper),
            "bucket": isinstance(env.BUCKET, _BindingWrapper),
            "statement": [isinstance(statement, _BindingWrapper), isinstance(statement, _RpcStubWrapper),
                          callable(statement)],
            "bound": [isinstance(bound, _BindingWrapper), isinstance(bound, _RpcStubWrapper)],
            "row_is_data": [isinstance(row, _BindingWrapper), isinstance(row, JsDict), row["x"]],
            "assets": [isinstance(env.ASSETS, _FetcherWrapper), isinstance(env.ASSETS, _BindingWrapper)],
            "vectorize": [isinstance(env.VECTORIZE, _BindingWrapper), isinstance(env.VECTORIZE, _FetcherWrapper)],
            "hyperdrive": isinstance(env.HYPERDRIVE, _BindingWrapper),
            "var": isinstance(env.GREETING, _BindingWrapper),
            "env": isinstance(env, _EnvWrapper),
        }))
"""


async def test_workers_rpc_wrapper_types_recognise_bindings(run_worker, tmp_path) -> None:
    (tmp_path / "public").mkdir()
    rt = await run_worker(
        RPC_WORKER,
        kv_namespaces={"KV": {"id": "kv"}},
        r2_buckets={"BUCKET": {"bucket_name": "b"}},
        d1_databases={"DB": {"id": "db"}},
        vars={"GREETING": "hi"},
        bindings={
            "ASSETS": {"type": "assets", "directory": str(tmp_path / "public")},
            "VECTORIZE": {"type": "vectorize", "index_name": "idx"},
            "HYPERDRIVE": {"type": "hyperdrive", "id": "h"},
        },
    )
    response = await rt.dispatch_fetch("http://localhost/")
    assert response.status == 200, await response.text()
    got = json.loads(await response.text())
    assert got["kv"] is True and got["kv_fetcher"] is False
    assert got["bucket"] is True
    # the SDK's test_chained_statements_stay_binding_wrappers
    assert got["statement"] == [True, False, False]
    assert got["bound"] == [True, False]
    assert got["row_is_data"] == [False, True, 1]
    # bindings have the SDK's wrapper type, simulated here or not (the SDK's *_is_wrapped tests)
    assert got["assets"] == [True, True]
    assert got["vectorize"] == [True, False]
    assert got["hyperdrive"] is False  # the SDK hands Hyperdrive over unwrapped
    assert got["var"] is False
    assert got["env"] is True


ASGI_ERROR_WORKER = """
from fastapi import FastAPI
from workers import WorkerEntrypoint

app = FastAPI()


@app.get("/boom")
async def boom():
    raise ValueError("something went wrong internally")


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        import asgi

        response = await asgi.fetch(app, request, self.env)
        return response
"""


async def test_asgi_fetch_returns_the_framework_500_and_logs_the_exception(run_worker, caplog) -> None:
    logs: list[str] = []
    rt = await run_worker(ASGI_ERROR_WORKER, logs=logs)
    with caplog.at_level(logging.ERROR, logger="asgi"):
        response = await rt.dispatch_fetch("http://localhost/boom")
    # Starlette's ServerErrorMiddleware answered 500 and re-raised; the SDK keeps that answer (its
    # test_unhandled_exception_returns_500), so the handler returned normally: no uncaught-exception log
    assert response.status == 500
    assert await response.text() == "Internal Server Error"
    assert not any("Uncaught exception" in line for line in logs)
    records = [r for r in caplog.records if r.name == "asgi"]
    assert records and records[0].exc_info is not None
    assert "something went wrong internally" in str(records[0].exc_info[1])


ENTRYPOINT_WORKER = """
from fastapi import FastAPI
from workers import FetchKwargs, Body, BlobEnding, RequestInitCfProperties
import asgi

app = FastAPI()


@app.get("/hi")
async def hi():
    return {"ending": str(BlobEnding.NATIVE), "kwargs": sorted(FetchKwargs.__annotations__)}


Default = asgi.entrypoint(app, options=asgi.Options(encode_body="manual"))
"""


async def test_sdk_names_a_worker_imports(run_worker) -> None:
    rt = await run_worker(ENTRYPOINT_WORKER)
    response = await rt.dispatch_fetch("http://localhost/hi")
    assert response.status == 200, await response.text()
    assert json.loads(await response.text()) == {
        "ending": "native",
        "kwargs": ["body", "cf", "fetcher", "headers", "method", "redirect"],
    }


def test_asgi_options_reject_an_unknown_encoding() -> None:
    from flarebind.runtime.sdk.types import Options

    with pytest.raises(ValueError, match="encode_body must be one of"):
        Options(encode_body="gzip")  # type: ignore[arg-type]


async def test_asgi_websocket_says_what_is_missing() -> None:
    from flarebind.runtime.sdk.asgi import websocket

    with pytest.raises(NotImplementedError, match="WebSocketPair"):
        await websocket(object(), object())
