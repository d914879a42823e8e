"""Cloudflare's Vectorize v2 REST API, for ``flarebind vectorize … --remote`` (the requests wrangler 4.86 sends).

Every call is ``/accounts/{account_id}/vectorize/v2/indexes…`` on the core's API client (credentials from
``CLOUDFLARE_API_TOKEN`` or ``CLOUDFLARE_API_KEY`` + ``CLOUDFLARE_EMAIL``, account from ``CLOUDFLARE_ACCOUNT_ID``,
base URL from ``CLOUDFLARE_API_BASE_URL``), and answers with the envelope's ``result``:

======================  ======  ===========================  ==========================================
what                    method  path (after ``…/indexes``)   body
======================  ======  ===========================  ==========================================
create                  POST    (none)                       ``{name, description, config}``
list                    GET     (none; ``cursor`` pages)
get / delete            GET     ``/{name}`` / DELETE
info                    GET     ``/{name}/info``
insert / upsert         POST    ``/{name}/insert|upsert``    multipart ``vectors``: an NDJSON file
query                   POST    ``/{name}/query``            ``{topK, returnValues, returnMetadata,
                                                             namespace?, filter?, vector | vectorId}``
get / delete vectors    POST    ``/{name}/get_by_ids`` …     ``{ids}``
list vectors            GET     ``/{name}/list``             (query: ``count``, ``cursor``)
metadata indexes        POST    ``/{name}/metadata_index/``  ``create`` ``{propertyName, indexType}``,
                                                             ``delete`` ``{propertyName}``; ``list`` GET
======================  ======  ===========================  ==========================================
"""

from __future__ import annotations

import json
from typing import Any

from flarebind_vectorize import validation as v

JSON = "application/json; charset=utf-8;"  # the content type wrangler's Vectorize client sends


class VectorizeAPI:
    """One account's Vectorize indexes over the REST API; ``async with VectorizeAPI.open() as api``."""

    def __init__(self, api: Any, account_id: str) -> None:
        self.api = api
        self.base = f"/accounts/{account_id}/vectorize/v2/indexes"

    @classmethod
    async def open(cls) -> VectorizeAPI:
        from flarebind.plugin import CloudflareAPI, resolve_auth

        auth = await resolve_auth()
        return cls(CloudflareAPI(auth), auth.require_account())

    async def __aenter__(self) -> VectorizeAPI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.api.aclose()

    def _index(self, name: str) -> str:
        return f"{self.base}/{v.check_index_name(name)}"  # checked: lower-case letters, digits and dashes only

    async def _json(self, method: str, path: str, body: Any = None) -> Any:
        if body is None:
            return await self.api.request(method, path)
        return await self.api.request(method, path, content=json.dumps(body).encode(), headers={"content-type": JSON})

    # -- indexes --------------------------------------------------------------------------------------------------

    async def create(self, name: str, config: dict[str, Any], description: str | None) -> Any:
        body: dict[str, Any] = {"name": v.check_index_name(name), "config": config}
        if description is not None:
            body["description"] = description
        return await self._json("POST", self.base, body)

    async def list(self) -> list[Any]:
        """Every index, following ``result_info.cursor`` as wrangler's list helper does."""
        from flarebind.plugin import parse_envelope

        out: list[Any] = []
        cursor: str | None = None
        while True:
            response = await self.api.raw("GET", self.base, params={"cursor": cursor} if cursor else None)
            out.extend(parse_envelope("GET", self.base, response) or [])  # raises with the envelope's errors
            cursor = (response.json().get("result_info") or {}).get("cursor")
            if not cursor:
                return out

    async def get(self, name: str) -> Any:
        return await self._json("GET", self._index(name))

    async def delete(self, name: str) -> Any:
        return await self._json("DELETE", self._index(name))

    async def info(self, name: str) -> Any:
        return await self._json("GET", f"{self._index(name)}/info")

    # -- vectors --------------------------------------------------------------------------------------------------

    async def write(self, kind: str, name: str, ndjson: str) -> Any:
        """``insert`` or ``upsert`` one batch: the lines as an NDJSON file in a multipart form field ``vectors``."""
        files = {"vectors": ("vectors.ndjson", ndjson.encode(), "application/x-ndjson")}
        return await self.api.request("POST", f"{self._index(name)}/{kind}", files=files)

    async def query(self, name: str, options: dict[str, Any], vector: list[float] | None, vector_id: str | None) -> Any:
        body = {**options, **({"vector": vector} if vector is not None else {"vectorId": vector_id})}
        return await self._json("POST", f"{self._index(name)}/query", body)

    async def list_vectors(self, name: str, count: int | None, cursor: str | None) -> Any:
        params: dict[str, Any] = {}
        if count is not None:
            params["count"] = str(count)
        if cursor:
            params["cursor"] = cursor
        return await self.api.request("GET", f"{self._index(name)}/list", params=params or None)

    async def get_by_ids(self, name: str, ids: list[str]) -> Any:
        return await self._json("POST", f"{self._index(name)}/get_by_ids", {"ids": ids})

    async def delete_by_ids(self, name: str, ids: list[str]) -> Any:
        return await self._json("POST", f"{self._index(name)}/delete_by_ids", {"ids": ids})

    # -- metadata indexes -----------------------------------------------------------------------------------------

    async def create_metadata_index(self, name: str, prop: str, kind: str) -> Any:
        body = {"propertyName": prop, "indexType": kind}
        return await self._json("POST", f"{self._index(name)}/metadata_index/create", body)

    async def list_metadata_indexes(self, name: str) -> Any:
        return await self._json("GET", f"{self._index(name)}/metadata_index/list")

    async def delete_metadata_index(self, name: str, prop: str) -> Any:
        return await self._json("POST", f"{self._index(name)}/metadata_index/delete", {"propertyName": prop})
