"""Resource names in a binding entry: the type's own rule where it declares one, else a folder-name check.

Names that become local paths (a KV namespace id, an R2 bucket name, …) must never let a config write outside the
state folder: a cloned repository is untrusted input. Every field that names the resource (``resource_fields`` and
their preview counterparts) is checked here, for any binding type, so future types are covered without code.
"""

from __future__ import annotations

from typing import Any

from flarebind.bindings.types import BindingType
from flarebind.config.diagnostics import Report
from flarebind.storage.paths import unsafe_folder_name_reason


def name_fields(bt: BindingType) -> list[str]:
    """The fields of ``bt`` that name its resource (production and preview).

    A field the type declares as a path (``path_fields``: a file next to the config, checked for existence when it
    is resolved) is not a resource name and never becomes a state folder name, so it is left out.
    """
    fields = [f for f in bt.resource_fields if f not in bt.path_fields]
    fields += [preview for field, preview in bt.preview_fields.items() if field in fields]
    return fields


def check_resource_names(
    bt: BindingType, item: dict[str, Any], shown: str, path: str, report: Report, env: Any
) -> bool:
    """Report bad resource names of one entry; ``False`` when any is unusable."""
    ok = True
    for field in name_fields(bt):
        value = item.get(field)
        if not isinstance(value, str):
            continue  # the type check has reported it
        at = f"{path}.{field}"
        if bt.resource_name_rule is not None:  # the type's own rule (and text), e.g. wrangler's for R2 buckets
            message = bt.resource_name_rule(shown, field, value)
            if message is not None:
                report.error(message, at=at, env=env)
                ok = False
            continue
        reason = unsafe_folder_name_reason(value)
        if reason is not None:
            report.error(
                f"{shown}.{field}={_quote(value)} cannot be used for local development: {reason}. flarebind names "
                f"this {bt.friendly_name}'s local files and folders after it, so it must be one plain name (no "
                '"/", "\\", NUL, "." or ".."). Use the resource\'s real id or name.',
                at=at,
                env=env,
            )
            ok = False
    return ok


def _quote(value: str) -> str:
    import json

    return json.dumps(value)
