"""The durable-objects benchmark's Python Worker (its JavaScript twin is in bench/node/mf-durable-objects.mjs)."""

from urllib.parse import parse_qs, urlparse

from js import WebSocketPair
from workers import DurableObject, Response, WorkerEntrypoint

VALUE = "x" * 100


class Counter(DurableObject):
    async def fetch(self, request):
        url = urlparse(request.url)
        n = int(parse_qs(url.query).get("n", ["1"])[0])
        storage = self.ctx.storage
        if url.path == "/ws":
            client, server = WebSocketPair.new().object_values()
            self.ctx.acceptWebSocket(server)
            return Response(None, status=101, web_socket=client)
        if url.path == "/put":
            for i in range(n):
                await storage.put(f"key-{i:08d}", VALUE)
            return Response(str(n))
        if url.path == "/get":
            found = 0
            for i in range(n):
                if await storage.get(f"key-{i:08d}") is not None:
                    found += 1
            return Response(str(found))
        if url.path == "/sql":
            sql = storage.sql
            sql.exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, v TEXT)")
            for _ in range(n):
                sql.exec("INSERT INTO items (v) VALUES (?)", VALUE)
            found = 0
            for i in range(n):
                found += len(sql.exec("SELECT v FROM items WHERE id = ?", i + 1).toArray())
            return Response(str(found))
        count = (await storage.get("count") or 0) + 1
        await storage.put("count", count)
        return Response(str(count))

    def webSocketMessage(self, ws, message):
        ws.send(message)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        if url.path == "/many":
            name = "o" + parse_qs(url.query)["i"][0]
        elif url.path in ("/put", "/get", "/sql"):
            name = "storage"
        else:
            name = url.path.strip("/") or "one"
        return await self.env.COUNTER.getByName(name).fetch(request)
