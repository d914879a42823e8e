"""Which local resources the explorer shows: discovered from the config's bindings, served by their binding objects.

Ids are the ones wrangler's local state uses (and Miniflare's explorer shows): a KV namespace's ``id``, an R2
bucket's ``bucket_name``, a D1 database's ``preview_database_id`` else ``database_id``. Remote bindings are left
out: the explorer shows local data only.
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.define
class Resources:
    """The bindings of one worker, by kind: ``{resource id: binding name}`` plus the built ``env``."""

    worker: str
    specs: dict[str, dict[str, Any]]
    env: Any
    runtime: Any = None  # the dev server's Runtime (Workflows need it), None in `flarebind explorer`

    def _local(self, type_name: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for binding, spec in self.specs.items():
            if spec.get("type") != type_name or spec.get("remote_proxy_connection_string"):
                continue
            out[_resource_id(type_name, binding, spec)] = binding
        return out

    @property
    def kv(self) -> dict[str, str]:
        return self._local("kv_namespace")

    @property
    def r2(self) -> dict[str, str]:
        return self._local("r2_bucket")

    @property
    def d1(self) -> dict[str, str]:
        return self._local("d1")

    def binding(self, name: str) -> Any:
        return self.env[name]

    def workflows(self) -> list[dict[str, Any]]:
        return [
            {
                "id": spec.get("name") or binding,
                "bindingName": binding,
                "className": spec.get("class_name"),
                "scriptName": spec.get("script_name") or self.worker,
            }
            for binding, spec in self.specs.items()
            if spec.get("type") == "workflow"
        ]

    def durable_objects(self) -> list[dict[str, Any]]:
        out = []
        for binding, spec in self.specs.items():
            if spec.get("type") != "durable_object_namespace":
                continue
            script = spec.get("script_name") or self.worker
            out.append(
                {
                    "id": f"{script}-{spec.get('class_name')}",
                    "bindingName": binding,
                    "className": spec.get("class_name"),
                    "scriptName": script,
                    "useSqlite": bool(spec.get("use_sqlite", False)),
                }
            )
        return out


def _resource_id(type_name: str, binding: str, spec: dict[str, Any]) -> str:
    if type_name == "kv_namespace":
        return str(spec.get("id") or spec.get("namespace_id") or binding)
    if type_name == "r2_bucket":
        return str(spec.get("bucket_name") or binding)
    return str(spec.get("preview_database_id") or spec.get("database_id") or binding)
