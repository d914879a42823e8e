from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    """Uploads in R2: PUT /files/<key> stores the body, GET streams it back, GET /files lists."""

    async def fetch(self, request):
        key = urlparse(request.url).path.removeprefix("/files").lstrip("/")

        if not key:
            listing = await self.env.FILES.list()
            return Response.json([{"key": o.key, "size": o.size} for o in listing.objects])

        if request.method == "PUT":
            content_type = request.headers.get("content-type") or "application/octet-stream"
            stored = await self.env.FILES.put(key, await request.bytes(), httpMetadata={"contentType": content_type})
            return Response.json({"key": stored.key, "etag": stored.etag}, status=201)

        if request.method == "DELETE":
            await self.env.FILES.delete(key)
            return Response(None, status=204)

        obj = await self.env.FILES.get(key)
        if obj is None:
            return Response("Object Not Found", status=404)
        return Response(
            obj.body,
            headers={
                "content-type": obj.httpMetadata.get("contentType", "application/octet-stream"),
                "etag": obj.httpEtag,
            },
        )
