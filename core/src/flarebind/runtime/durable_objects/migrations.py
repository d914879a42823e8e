"""``[[migrations]]`` -> which Durable Object classes have SQL storage, and the names that become state paths.

Locally migrations only decide *SQL enabled or not* per class (as in wrangler); they are applied in order with
wrangler's error texts. A class's state folder is ``<worker name>-<ClassName>``, so both names are checked here.
"""

from __future__ import annotations

import re
from typing import Any

from flarebind.errors import FlarebindError

DEFAULT_WORKER_NAME = "worker"
_CLASS_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
# wrangler's worker names are lowercase letters, digits, - and _; we accept any case and dots, never a path part
_WORKER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}")


class DurableObjectConfigError(FlarebindError, ValueError):
    """A Durable Object binding or ``[[migrations]]`` entry that cannot be used (shown as a config error)."""


class MigrationError(DurableObjectConfigError):
    """A ``[[migrations]]`` entry that cannot be applied (wrangler's words)."""


def sqlite_classes(migrations: Any) -> set[str]:
    """The classes whose storage is SQLite (``new_sqlite_classes``), after applying every migration in order."""
    classes: dict[str, bool] = {}
    for migration in migrations or []:
        if not isinstance(migration, dict):
            continue
        for name in migration.get("new_classes") or []:
            if name in classes:
                raise MigrationError(f"Cannot apply new_classes migration to existing class {name}")
            classes[name] = False
        for name in migration.get("new_sqlite_classes") or []:
            if name in classes:
                raise MigrationError(f"Cannot apply new_sqlite_classes migration to existing class {name}")
            classes[name] = True
        for rename in migration.get("renamed_classes") or []:
            old, new = rename.get("from"), rename.get("to")
            if old not in classes:
                raise MigrationError(f"Cannot apply renamed_classes migration to non-existent class {old}")
            classes[new] = classes.pop(old)
        for name in migration.get("deleted_classes") or []:
            if name not in classes:
                raise MigrationError(f"Cannot apply deleted_classes migration to non-existent class {name}")
            del classes[name]
    return {name for name, sql in classes.items() if sql}


def check_class_name(name: Any, binding: str) -> str:
    if not isinstance(name, str) or not _CLASS_NAME.fullmatch(name):
        raise DurableObjectConfigError(
            f"Durable Object binding {binding!r}: class_name {name!r} is not a valid class name "
            "(letters, digits, _ and $; it names the state folder .wrangler/state/v3/do/<worker>-<class>)."
        )
    return name


def check_worker_name(name: Any, binding: str) -> str:
    if not isinstance(name, str) or not _WORKER_NAME.fullmatch(name) or ".." in name:
        raise DurableObjectConfigError(
            f"Durable Object binding {binding!r}: worker name {name!r} cannot name a state folder "
            "(use letters, digits, -, _ and .; set `name` in your Wrangler config)."
        )
    return name


def annotate_specs(specs: dict[str, dict[str, Any]], config: Any) -> None:
    """Give each Durable Object binding of ``config`` its worker name and whether its class uses SQL, the two
    facts its local namespace needs beyond the binding entry (Miniflare's ``useSQLite`` and ``unsafeUniqueKey``)."""
    do_specs = {n: s for n, s in specs.items() if s.get("type") == "durable_object_namespace"}
    if not do_specs:
        return
    try:
        sql = sqlite_classes(config.flat.get("migrations"))
    except MigrationError as exc:
        raise MigrationError(f"{config.path.name} [[migrations]]: {exc}") from None
    for spec in do_specs.values():
        spec.setdefault("worker_name", config.name or DEFAULT_WORKER_NAME)
        if not spec.get("script_name") or spec.get("script_name") == config.name:
            spec.setdefault("use_sqlite", spec.get("class_name") in sql)
