"""The production guard: refuse to develop against a production resource by accident.

When the selected environment routes a binding remotely and that binding's resource (KV id, bucket, database id,
index name, …) is also bound in ``[env.production]``, local development would read and write production data.
``flarebind dev`` refuses unless ``--allow-production-remote`` is given; ``flarebind check`` warns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flarebind.bindings.registry import BindingRegistry
from flarebind.bindings.rules import is_remote
from flarebind.bindings.types import get_dotted

if TYPE_CHECKING:  # bindings sit below config: names only, for annotations
    from flarebind.config.diagnostics import Report
    from flarebind.config.model import BindingEntry

PRODUCTION = "production"


def _resources(bt: Any, entry: dict[str, Any], use_preview: bool) -> set[str]:
    values = set()
    for field in bt.resource_fields:
        value = entry.get(field)
        preview = bt.preview_fields.get(field)
        if use_preview and preview and entry.get(preview):
            value = entry[preview]
        if isinstance(value, str) and value:
            values.add(value)
    return values


def production_conflicts(
    raw: dict[str, Any], env: str | None, bindings: list[BindingEntry], registry: BindingRegistry, report: Report
) -> None:
    if env == PRODUCTION:
        return
    envs = raw.get("env")
    production = envs.get(PRODUCTION) if isinstance(envs, dict) else None
    if not isinstance(production, dict):
        return
    selected = f'"env.{env}"' if env else "the top-level configuration"
    for binding in bindings:
        bt = binding.type
        if not bt.resource_fields or not is_remote(bt, binding.remote):
            continue
        mine = _resources(bt, binding.entry, use_preview=True)
        items = get_dotted(production, bt.config_key)
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, dict):
                continue
            # production deploys use the real ids, never the preview ones
            shared = mine & _resources(bt, item, use_preview=False)
            if shared:
                resource = sorted(shared)[0]
                prod_name = item.get(bt.name_field, "?")
                report.error(
                    f'{bt.friendly_name} binding "{binding.name}" in {selected} is remote and points at '
                    f'"{resource}", which "env.{PRODUCTION}" also binds (as "{prod_name}"). Developing against it '
                    "would read and write production data. Point the binding at a non-production resource (for "
                    "example a preview one), or pass --allow-production-remote to do this on purpose.",
                    at=f"{binding.path}.remote" if "remote" in binding.entry else binding.path,
                    env=binding.env,
                )
