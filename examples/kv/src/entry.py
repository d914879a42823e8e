from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    """A tiny key-value API: GET/PUT/DELETE /kv/<key>, GET /kv?prefix=… lists keys."""

    async def fetch(self, request):
        url = urlparse(request.url)
        key = url.path.removeprefix("/kv").lstrip("/")

        if not key and request.method == "GET":
            prefix = parse_qs(url.query).get("prefix", [None])[0]
            listing = await self.env.SETTINGS.list(prefix=prefix)
            return Response.json({"keys": [k["name"] for k in listing["keys"]]})
        if request.method == "PUT":
            ttl = request.headers.get("x-ttl")
            options = {"expirationTtl": int(ttl)} if ttl else {}
            await self.env.SETTINGS.put(key, await request.text(), metadata={"by": "kv-example"}, **options)
            return Response("stored", status=201)
        if request.method == "DELETE":
            await self.env.SETTINGS.delete(key)
            return Response(None, status=204)

        found = await self.env.SETTINGS.getWithMetadata(key)
        if found.value is None:
            return Response("missing", status=404)
        return Response(found.value, headers={"x-metadata-by": found.metadata["by"]})
