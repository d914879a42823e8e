from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint

SCHEMA = "CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT)"


class Default(WorkerEntrypoint):
    """Customers in D1: POST /customers adds one, GET /customers?city=… queries, GET /stats counts."""

    async def fetch(self, request):
        url = urlparse(request.url)
        await self.env.DB.exec(SCHEMA)

        if url.path == "/customers" and request.method == "POST":
            data = await request.json()
            result = (
                await self.env.DB.prepare("INSERT INTO customers (name, city) VALUES (?, ?)")
                .bind(data["name"], data.get("city"))
                .run()
            )
            return Response.json({"id": result.meta.last_row_id}, status=201)

        if url.path == "/customers":
            city = dict(p.split("=", 1) for p in url.query.split("&") if "=" in p).get("city")
            statement = self.env.DB.prepare("SELECT id, name, city FROM customers WHERE city = ? ORDER BY id")
            rows = await statement.bind(city).all()
            return Response.json(rows.results)

        if url.path == "/stats":
            row = await self.env.DB.prepare("SELECT COUNT(*) AS total FROM customers").first()
            return Response.json({"total": row["total"]})

        return Response("Not found", status=404)
