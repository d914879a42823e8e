"""Binding specs -> Cloudflare's upload-metadata bindings, for the proxy worker a remote session uploads.

Each type builds its own (``BindingType.upload_metadata``); what is here is generic: the pass-through for types
whose Cloudflare field names equal their config field names, and the helpers builders share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flarebind.errors import RemoteSessionError

#: spec keys that are flarebind's, never Cloudflare's
_LOCAL_KEYS = ("remote", "type", "dev", "remote_proxy_connection_string")


def drop_none(d: Mapping[str, Any]) -> dict[str, Any]:
    """``d`` without the keys whose value is ``None`` (optional metadata fields are omitted, not null)."""
    return {k: v for k, v in d.items() if v is not None}


def require_field(name: str, spec: Mapping[str, Any], field: str) -> Any:
    """``spec[field]``, or wrangler's error for a binding that lacks it (``KV bindings must have an "id" field``)."""
    value = spec.get(field)
    if value in (None, ""):
        article = "an" if field[0] in "aeiou" else "a"
        raise RemoteSessionError(f'{name} bindings must have {article} "{field}" field')
    return value


def passthrough_metadata(name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The generic upload-metadata binding: ``{"name", "type", **config fields}``."""
    fields = {k: v for k, v in spec.items() if k not in _LOCAL_KEYS}
    return {"name": name, "type": spec.get("type"), **fields}


def to_metadata_binding(name: str, spec: Mapping[str, Any], registry: Any) -> dict[str, Any]:
    """``spec`` through its type's ``upload_metadata`` (the pass-through when it declares none)."""
    bt = registry.get_type(str(spec.get("type", "")))
    builder = bt.upload_metadata if bt is not None else None
    if builder is None:
        return passthrough_metadata(name, spec)
    return dict(builder(name, spec))
