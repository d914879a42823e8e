"""The patterns of Cloudflare's python-workers-examples 07-durable-objects, 14-websocket-stream-consumer and
15-chatroom, written here (nothing is downloaded) and run the way a developer runs them."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

LIST_WORKER = """
from urllib.parse import urlparse

from pyodide.ffi import to_js
from workers import DurableObject, Response, WorkerEntrypoint


class List(DurableObject):
    async def get_messages(self):
        messages = await self.ctx.storage.get("messages")
        return messages if messages else []

    async def add_message(self, message):
        messages = await self.get_messages()
        messages.append(message)
        await self.ctx.storage.put("messages", to_js(messages))
        return


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        list_id = url.path.split("/")[1]
        stub = self.env.LISTS.get(self.env.LISTS.idFromName(list_id))
        if "/add" in url.path:
            await stub.add_message(url.path.split("/")[3])
            return Response("Message sent")
        messages = await stub.get_messages()
        return Response("\\n".join(messages) if messages else "No messages")
"""


async def test_list_pattern_idfromname_rpc_and_storage(run_worker, tmp_path):
    options = {
        "durable_objects": {"LISTS": {"class_name": "List", "use_sqlite": True, "worker_name": "py-do"}},
        "in_memory": False,
        "persist_to": tmp_path / "state",
    }
    rt = await run_worker(LIST_WORKER, **options)
    assert await (await rt.dispatch_fetch("http://localhost/groceries/show")).text() == "No messages"
    for item in ("milk", "eggs"):
        assert await (await rt.dispatch_fetch(f"http://localhost/groceries/add/{item}")).text() == "Message sent"
    await rt.dispose()
    # a new runtime (a restart) reads the same object from disk
    rt = await run_worker(LIST_WORKER, **options)
    assert await (await rt.dispatch_fetch("http://localhost/groceries/show")).text() == "milk\neggs"
    assert await (await rt.dispatch_fetch("http://localhost/other/show")).text() == "No messages"


CHATROOM_WORKER = """
import json
from pathlib import Path
from urllib.parse import urlparse

from js import WebSocketPair
from workers import DurableObject, Response, WorkerEntrypoint


class Chatroom(DurableObject):
    def __init__(self, state, env):
        super().__init__(state, env)
        self.state = state

    async def fetch(self, request):
        upgrade = request.headers.get("Upgrade")
        if not upgrade or upgrade.lower() != "websocket":
            return Response("Expected WebSocket upgrade", status=400)
        client, server = WebSocketPair.new().object_values()
        self.state.acceptWebSocket(server, ["room"])
        server.serializeAttachment({"joined": len(self.state.getWebSockets())})
        history = await self.ctx.storage.get("history") or []
        server.send(json.dumps({"type": "history", "messages": history}))
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        data = json.loads(message)
        msg = {"type": "message", "text": data["text"], "seat": ws.deserializeAttachment()["joined"]}
        history = (await self.ctx.storage.get("history") or []) + [msg]
        await self.ctx.storage.put("history", history[-50:])
        for other in self.state.getWebSockets("room"):
            other.send(json.dumps(msg))

    async def webSocketClose(self, ws, code, reason, wasClean):
        ws.close(code, reason)
        print(f"closed {code} open={len(self.state.getWebSockets())}")


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/":
            page = (Path(__file__).parent / "chatroom.html").read_text()
            return Response(page, headers={"Content-Type": "text/html"})
        if path.startswith("/room/"):
            stub = self.env.CHATROOM.get(self.env.CHATROOM.idFromName(path[6:]))
            return await stub.fetch(request)
        return Response("Not found", status=404)
"""


@pytest.fixture
def chat_project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(CHATROOM_WORKER))
    (tmp_path / "src" / "chatroom.html").write_text("<!DOCTYPE html><title>Chatroom</title>")
    (tmp_path / "wrangler.jsonc").write_text(
        json.dumps(
            {
                "name": "python-chatroom",
                "main": "src/entry.py",
                "compatibility_date": "2025-11-02",
                "compatibility_flags": ["python_workers"],
                "durable_objects": {"bindings": [{"name": "CHATROOM", "class_name": "Chatroom"}]},
                "migrations": [{"tag": "v1", "new_sqlite_classes": ["Chatroom"]}],
            }
        )
    )
    return tmp_path


async def test_chatroom_two_real_clients_against_flarebind_dev(chat_project):
    from tests.e2e.devproc import DevProcess

    dev = DevProcess(chat_project)
    try:
        dev.wait_for_output("Ready on")
        assert "Chatroom" in (await asyncio.to_thread(dev.get, "/")).text
        url = f"ws://127.0.0.1:{dev.port}/room/general"
        async with connect(url) as alice, connect(url) as bob:
            assert json.loads(await alice.recv()) == {"type": "history", "messages": []}
            assert json.loads(await bob.recv()) == {"type": "history", "messages": []}
            await alice.send(json.dumps({"text": "hello bob"}))
            expected = {"type": "message", "text": "hello bob", "seat": 1}
            assert json.loads(await alice.recv()) == expected
            assert json.loads(await bob.recv()) == expected
            await bob.send(json.dumps({"text": "hi alice"}))
            assert json.loads(await alice.recv())["text"] == "hi alice"
            assert json.loads(await bob.recv())["seat"] == 2
        async with connect(url) as carol:  # history was kept in the object's storage
            history = json.loads(await carol.recv())
            assert [m["text"] for m in history["messages"]] == ["hello bob", "hi alice"]
        # a plain request to the room is the object's own 400, sent as the HTTP answer
        assert (await asyncio.to_thread(dev.get, "/room/general")).status_code == 400
        dev.wait_for_output("closed 1000 open=0")
    finally:
        dev.stop()
    state = chat_project / ".wrangler" / "state" / "v3" / "do" / "python-chatroom-Chatroom"
    assert len(list(state.glob("*.sqlite"))) == 2  # the room's object file and metadata.sqlite


HIBERNATION_WORKER = """
from js import WebSocketPair, WebSocketRequestResponsePair
from workers import DurableObject, Response, WorkerEntrypoint

CONSTRUCTED = []


class Room(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        CONSTRUCTED.append(1)
        ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair.new("ping", "pong"))

    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server, [request.headers.get("x-tag") or "none"])
        server.serializeAttachment({"tag": request.headers.get("x-tag")})
        return Response(None, status=101, web_socket=client)

    def webSocketMessage(self, ws, message):
        tags = self.ctx.getTags(ws)
        ws.send(f"{message} from {ws.deserializeAttachment()['tag']} {tags} after {len(CONSTRUCTED)} constructions")
        for other in self.ctx.getWebSockets("red"):
            if other is not ws:
                other.send("to red: " + message)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.ROOM.getByName("r").fetch(request)
"""


class Inbox:
    """Collects what a client end receives (tests read it without sleeping: they wait on the queue)."""

    def __init__(self, ws):
        self.queue: asyncio.Queue = asyncio.Queue()
        ws.addEventListener("message", lambda event: self.queue.put_nowait(event.data))
        ws.accept()

    async def next(self):
        return await asyncio.wait_for(self.queue.get(), 10)


async def test_hibernation_survives_eviction_with_tags_attachments_and_auto_response(run_worker):
    rt = await run_worker(HIBERNATION_WORKER, durable_objects={"ROOM": {"class_name": "Room"}})
    red = await rt.dispatch_fetch("http://localhost/", headers={"Upgrade": "websocket", "x-tag": "red"})
    blue = await rt.dispatch_fetch("http://localhost/", headers={"Upgrade": "websocket", "x-tag": "blue"})
    assert red.status == 101
    red_ws, blue_ws = red.js_object.webSocket, blue.js_object.webSocket
    red_in, blue_in = Inbox(red_ws), Inbox(blue_ws)
    blue_ws.send("hello")
    assert await blue_in.next() == "hello from blue ['blue'] after 1 constructions"
    assert await red_in.next() == "to red: hello"
    assert rt.evict_durable_objects() == 1  # hibernate: the instance goes, the sockets stay open
    red_ws.send("ping")
    assert await red_in.next() == "pong"  # answered without waking the object
    module = rt.worker.module
    assert module.CONSTRUCTED == [1]
    red_ws.send("again")
    assert await red_in.next() == "again from red ['red'] after 2 constructions"  # woken, attachment kept


CONSUMER_WORKER = """
import json
import time
import js
from pyodide.ffi import create_proxy
from workers import DurableObject, Response, WorkerEntrypoint


class Consumer(DurableObject):
    def __init__(self, state, env):
        super().__init__(state, env)
        self.connected = False

    async def fetch(self, request):
        if not self.connected:
            await self.ctx.storage.setAlarm(int(time.time() * 1000) + 60000)
            cursor = self.ctx.storage.kv.get("cursor")
            ws = js.WebSocket.new(self.env.FEED_URL + (f"?cursor={cursor}" if cursor else ""))
            ws.addEventListener("open", create_proxy(self._on_open))
            ws.addEventListener("message", create_proxy(self._on_message))
            ws.addEventListener("close", create_proxy(self._on_close))
            self.ws = ws
        return Response(f"status: {'connected' if self.connected else 'connecting'}")

    async def alarm(self):
        self.ctx.storage.kv.put("alarm_ran", True)

    async def _on_open(self, event):
        self.connected = True
        self.ws.send("subscribe")

    def _on_message(self, event):
        data = json.loads(event.data)
        self.ctx.storage.kv.put("cursor", data["time_us"])
        self.ctx.storage.kv.put("seen", (self.ctx.storage.kv.get("seen") or 0) + 1)

    async def _on_close(self, event):
        self.ctx.storage.kv.put("closed", [event.code, event.reason])
        await self.ctx.storage.sync()  # abort() discards writes not yet durable
        self.connected = False
        self.ctx.abort("WebSocket closed")

    def stats(self):
        kv = self.ctx.storage.kv
        return {"cursor": kv.get("cursor"), "seen": kv.get("seen"), "closed": kv.get("closed")}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        stub = self.env.FIREHOSE.get(self.env.FIREHOSE.idFromName("consumer"))
        return await stub.fetch(request)
"""


async def test_stream_consumer_keeps_an_outbound_websocket_with_sync_kv_and_alarm(run_worker):
    received: list[str] = []
    done = asyncio.Event()

    async def feed(connection):  # a local stand-in for Bluesky's Jetstream
        received.append(connection.request.path)
        received.append(await connection.recv())
        for i in range(3):
            await connection.send(json.dumps({"kind": "commit", "time_us": 1000 + i}))
        await connection.close(4000, "feed over")
        done.set()

    async with serve(feed, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        rt = await run_worker(
            CONSUMER_WORKER,
            durable_objects={"FIREHOSE": {"class_name": "Consumer", "use_sqlite": True}},
            vars={"FEED_URL": f"ws://127.0.0.1:{port}/subscribe"},
        )
        assert await (await rt.dispatch_fetch("http://localhost/status")).text() == "status: connecting"
        await asyncio.wait_for(done.wait(), 10)
        stub = await rt.get_durable_object("FIREHOSE", "consumer")
        for _ in range(100):  # the close event arrives just after the server's close: wait for it, bounded
            stats = await stub.stats()
            if stats["closed"]:
                break
            await asyncio.sleep(0.05)
        assert received == ["/subscribe", "subscribe"]
        assert stats == {"cursor": 1002, "seen": 3, "closed": [4000, "feed over"]}
        assert await rt.dispatch_alarm("FIREHOSE", "consumer") is True
        assert await rt.run_in_durable_object(stub, lambda obj, ctx: ctx.storage.kv.get("alarm_ran")) is True


def test_dev_reports_a_migration_that_cannot_apply(chat_project, flarebind_cmd, clean_env):
    import subprocess

    config = json.loads((chat_project / "wrangler.jsonc").read_text())
    config["migrations"].append({"tag": "v2", "new_classes": ["Chatroom"]})
    (chat_project / "wrangler.jsonc").write_text(json.dumps(config))
    proc = subprocess.run(
        [*flarebind_cmd, "dev", "--port", "0"], cwd=chat_project, env=clean_env, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert (
        "✘ [ERROR] wrangler.jsonc [[migrations]]: Cannot apply new_classes migration to existing class Chatroom"
        in proc.stdout + proc.stderr
    )
    assert "Traceback" not in proc.stdout + proc.stderr
