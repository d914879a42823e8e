"""Turning the selected environment's binding keys into :class:`BindingEntry` objects, with wrangler's messages."""

from __future__ import annotations

import keyword
from typing import Any

from flarebind.bindings.registry import BindingRegistry
from flarebind.bindings.types import BindingType, Shape, get_dotted
from flarebind.config.diagnostics import Report
from flarebind.config.diagnostics import compact_json as _json
from flarebind.config.model import BindingEntry
from flarebind.config.names import check_resource_names

_TYPE_WORDS = {str: "string", bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}


def _type_ok(value: Any, expected: Any) -> bool:
    if expected is object:
        return True
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, expected)


def collect_entries(
    flat: dict[str, Any], origin: dict[str, str], registry: BindingRegistry, report: Report, env: str | None
) -> list[BindingEntry]:
    """``origin`` maps a top-level key to its key path in the file (``env.staging.kv_namespaces`` or the key)."""
    entries: list[BindingEntry] = []
    for bt in registry.binding_types():
        head, _, rest = bt.config_key.partition(".")
        if head not in flat:
            continue
        value = get_dotted(flat, bt.config_key)
        if value is None:
            continue
        base = origin.get(head, head) + (f".{rest}" if rest else "")
        section_env = env if origin.get(head, "").startswith("env.") else None
        if bt.shape is Shape.MAP:
            entries.extend(_map_entries(bt, value, base, report, section_env))
        elif bt.shape is Shape.OBJECT:
            entry = _object_entry(bt, value, base, bt.config_key, report, section_env)
            if entry:
                entries.append(entry)
        else:
            if not isinstance(value, list):
                report.error(
                    f'The field "{bt.config_key}" should be an array but got {_json(value)}.', at=base, env=section_env
                )
                continue
            for index, item in enumerate(value):
                shown = f"{bt.config_key}[{index}]"
                entry = _object_entry(bt, item, f"{base}[{index}]", shown, report, section_env)
                if entry:
                    entries.append(entry)
    _check_unique_names(entries, report)
    for entry in entries:
        _warn_unreachable_name(entry, report)
    # config order, so the table lists bindings as the user wrote them
    entries.sort(key=lambda e: (e.line is None, e.line or 0, e.col or 0))
    return entries


def _map_entries(bt: BindingType, value: Any, base: str, report: Report, env: str | None) -> list[BindingEntry]:
    if bt.config_key == "secrets":
        if not isinstance(value, dict):
            report.error(f'The field "secrets" should be an object but got {_json(value)}.', at=base, env=env)
            return []
        required = value.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            report.error(
                f'The field "secrets.required" should be an array of strings but got {_json(required)}.',
                at=f"{base}.required",
                env=env,
            )
        extra = [k for k in value if k != "required"]
        if extra:
            report.warning(
                "Unexpected fields found in secrets field: " + ",".join(f'"{k}"' for k in extra),
                at=f"{base}.{extra[0]}",
                env=env,
            )
        return []  # secret values come from .dev.vars / .env (see read.py)
    if not isinstance(value, dict):
        report.error(f'The field "{bt.config_key}" should be an object but got {_json(value)}.', at=base, env=env)
        return []
    out = []
    for name, item in value.items():
        path = f"{base}.{name}"
        line, col = report.position(path)
        out.append(BindingEntry(type=bt, name=str(name), entry={"value": item}, path=path, env=env, line=line, col=col))
    return out


def _object_entry(
    bt: BindingType, item: Any, path: str, shown: str, report: Report, env: str | None
) -> BindingEntry | None:
    if not isinstance(item, dict):
        report.error(f'"{shown}" bindings should be objects, but got {_json(item)}', at=path, env=env)
        return None
    ok = True
    for field in bt.required:
        expected = bt.fields.get(field, str)
        if field not in item or not _type_ok(item[field], expected):
            word = _TYPE_WORDS.get(expected, "valid")
            report.error(
                f'"{shown}" bindings should have a {word} "{field}" field but got {_json(item)}.', at=path, env=env
            )
            ok = False
    for field, expected in bt.fields.items():
        if field in bt.required or field not in item:
            continue
        # a resource field may not be empty (wrangler's rule for KV ids and R2 bucket names; an empty id would also
        # be an empty folder name)
        if field in bt.resource_fields and item[field] == "":
            report.error(
                f'"{shown}" bindings should have a string "{field}" field but got {_json(item)}.', at=path, env=env
            )
            ok = False
            continue
        if not _type_ok(item[field], expected):
            word = _TYPE_WORDS.get(expected, "valid")
            report.error(
                f'"{shown}" bindings should, optionally, have a {word} "{field}" field but got {_json(item)}.',
                at=f"{path}.{field}",
                env=env,
            )
            ok = False
    known = set(bt.fields) | ({"remote"} if bt.accepts_remote else set())
    unknown = [k for k in item if k not in known and k != "remote"]
    if unknown:
        report.warning(
            f"Unexpected fields found in {shown} field: " + ",".join(f'"{k}"' for k in unknown),
            at=f"{path}.{unknown[0]}",
            env=env,
        )
    if "remote" in item and not isinstance(item["remote"], bool):
        report.error(
            f'"{shown}" should, optionally, have a boolean "remote" field but got {_json(item)}.',
            at=f"{path}.remote",
            env=env,
        )
        ok = False
    if not ok:
        return None
    if not check_resource_names(bt, item, shown, path, report, env):
        return None
    name = item.get(bt.name_field)
    if not isinstance(name, str):
        return None
    # unknown fields are dropped from the entry (wrangler keeps them; nothing downstream reads them);
    # `remote` is kept even on local-only types so the remote rule can report it
    entry = {k: v for k, v in item.items() if k in bt.fields or k == "remote"}
    line, col = report.position(path)
    return BindingEntry(type=bt, name=name, entry=entry, path=path, env=env, line=line, col=col)


def _warn_unreachable_name(entry: BindingEntry, report: Report) -> None:
    """A binding whose name is not a plain attribute of ``env`` in Python: say how to reach it."""
    name = entry.name
    plain = name.isidentifier() and not name.startswith("_") and name not in ("keys", "get")
    if plain and not keyword.iskeyword(name):
        return
    from flarebind.platform import Env  # only for the rare suspicious name

    shown = _json(name)
    if not name.isidentifier():
        why, use = "is not a Python identifier", f"env[{shown}] or getattr(env, {shown})"
    elif keyword.iskeyword(name):
        why, use = "is a Python keyword", f"env[{shown}] or getattr(env, {shown})"
    elif hasattr(Env, name):
        why, use = "is also the name of an attribute of the env object itself", f"env[{shown}]"
    else:
        return
    report.warning(
        f"Binding {shown} {why}, so `env.{name}` does not reach it in a Python Worker. Use {use}, or rename the "
        "binding.",
        at=entry.path,
        env=entry.env,
    )


def _check_unique_names(entries: list[BindingEntry], report: Report) -> None:
    seen: dict[str, list[BindingEntry]] = {}
    for e in entries:
        seen.setdefault(e.name, []).append(e)
    for name, group in seen.items():
        if len(group) > 1:
            kinds = " and ".join(sorted({g.type.friendly_name for g in group}))
            report.error(
                "Bindings must have unique names, so that they can all be referenced in the worker.\n"
                "Please change your bindings to have unique names.\n"
                f'- "{name}" assigned to {kinds} bindings.',
                at=group[1].path,
                env=group[1].env,
            )
