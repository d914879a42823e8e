from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path

        if path == "/":
            # a visit counter in Workers KV
            count = int(await self.env.COUNTER.get("visits") or 0) + 1
            await self.env.COUNTER.put("visits", str(count))
            return Response(f"{self.env.GREETING} from Python! You are visitor number {count}.")

        if path == "/notes":
            # a table in D1
            await self.env.DB.prepare(
                "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL)"
            ).run()
            if request.method == "POST":
                note = await request.json()
                await self.env.DB.prepare("INSERT INTO notes (text) VALUES (?)").bind(note["text"]).run()
            result = await self.env.DB.prepare("SELECT id, text FROM notes ORDER BY id").all()
            return Response.json(result.results)

        return Response("Not found", status=404)
