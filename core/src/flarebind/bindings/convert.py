"""Config bindings -> flat start-worker bindings (``{NAME: {"type": …, fields…, "remote": …}}``), and picking the
remote ones — the Python counterparts of wrangler's ``convertConfigBindingsToStartWorkerBindings`` and
``pickRemoteBindings``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flarebind.bindings.rules import is_remote

if TYPE_CHECKING:  # bindings sit below config: names only, for annotations
    from flarebind.config.model import Config


def convert_config_bindings_to_start_worker_bindings(
    config: Config, *, use_preview_ids: bool = True
) -> dict[str, dict[str, Any]]:
    """Flat bindings for ``config``'s selected environment; preview ids replace the real ones in dev."""
    out: dict[str, dict[str, Any]] = {}
    for binding in config.bindings:
        bt = binding.type
        entry = dict(binding.entry)
        if bt.config_key == "vars":
            value = entry["value"]
            out[binding.name] = {"type": "plain_text" if isinstance(value, str) else "json", "value": value}
            continue
        if bt.type == "secret_text":
            if "value" in entry:  # a required secret that no .dev.vars / .env defines is not bound (as wrangler)
                out[binding.name] = {"type": "secret_text", "value": entry["value"]}
            continue
        spec: dict[str, Any] = {"type": bt.type}
        for target, source in bt.preview_fields.items():
            preview = entry.pop(source, None)
            if use_preview_ids and preview:
                entry[target] = preview
        entry.pop(bt.name_field, None)
        for field in bt.path_fields:  # relative to the config file, so the binding works from any directory
            if isinstance(entry.get(field), str) and entry[field]:
                entry[field] = str((config.dir / entry[field]).resolve())
        spec.update(entry)
        out[binding.name] = spec
    return out


def pick_remote_bindings(
    bindings: Mapping[str, Mapping[str, Any]], *, plugins: Any = None
) -> dict[str, dict[str, Any]]:
    """The bindings a remote session must hold (copies): always-remote types, and any with ``remote: true``."""
    from flarebind.plugins import get_plugins

    registry = (plugins or get_plugins()).registry
    picked = {}
    for name, spec in bindings.items():
        bt = registry.get_type(spec.get("type", ""))
        if bt is None:
            if spec.get("remote") is True:
                picked[name] = dict(spec)
            continue
        if is_remote(bt, spec.get("remote")):
            picked[name] = dict(spec)
    return picked
