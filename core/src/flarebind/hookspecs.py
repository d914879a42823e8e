"""The hook specification: the one contract binding plugins implement.

A plugin is a module (or object) with ``@hookimpl`` functions, published under the entry point group
``flarebind``. The core calls registrar hooks once per plugin so that every registration is stamped with the
plugin that made it and one plugin's failure never hides the others'.

Phases, in the order the core uses them:

1. ``register_binding_types`` — declare binding types (config key, entry class, friendly name, support class).
2. ``register_adapters`` — provide the factories that build binding objects: ``local`` (a simulation) and/or
   ``remote`` (a proxy through a remote session channel).
3. ``validate_binding`` — extra diagnostics for one configured binding, beyond the schema and the ``remote`` rules.
4. ``register_commands`` — add click commands (``flarebind kv …``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from flarebind.bindings.registry import AdapterRegistrar, BindingTypeRegistrar
    from flarebind.config.diagnostics import Report
    from flarebind.config.model import BindingEntry

hookspec = pluggy.HookspecMarker("flarebind")
hookimpl = pluggy.HookimplMarker("flarebind")


@hookspec
def register_binding_types(register: BindingTypeRegistrar) -> None:
    """Declare binding types with ``register(BindingType(...))``.

    Two plugins declaring the same ``config_key`` or ``type`` is an error naming both plugins.
    """


@hookspec
def register_adapters(register: AdapterRegistrar) -> None:
    """Provide binding factories: ``register.local(type, factory)`` and ``register.remote(type, factory)``.

    ``factory`` is a callable or a ``"module:attr"`` string (imported only when a binding of that type is built,
    which keeps ``flarebind`` start-up fast). Signatures:

    - local: ``factory(name: str, spec: dict, ctx: LocalContext) -> binding object``
    - remote: ``factory(name: str, spec: dict, channel: RemoteChannel) -> binding object``

    ``spec`` is the flat start-worker binding (``{"type": "kv_namespace", "id": "…", "remote": True}``).
    A third party may register a local adapter for a type another plugin declared, but only one per type and mode.
    """


@hookspec
def validate_binding(binding: BindingEntry, report: Report) -> None:
    """Add diagnostics for one configured binding with ``report.error(...)`` / ``report.warning(...)``.

    Called for every binding of every type; check ``binding.type.type`` and return early for other types.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the ``flarebind`` CLI.

    Prefer ``cli.add_lazy_command(name, "module:attr", help=...)``, which imports the command only when it runs.
    """
