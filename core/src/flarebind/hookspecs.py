"""The hook specification: the one contract binding plugins implement.

A plugin is a module (or object) with ``@hookimpl`` functions, published under the entry point group
``flarebind`` (and naming its config keys under ``flarebind.config_keys``). The core calls each hook through
pluggy once per plugin, so a hookimpl may take any subset of the arguments, wrappers work, every registration is
stamped with the plugin that made it, and one plugin's failure is pinned on it: only its bindings fail.

Phases, in the order the core uses them:

1. ``register_binding_types`` — declare binding types: a :class:`~flarebind.plugin.BindingType` holds everything a
   type knows (config fields, support class, upload metadata, idempotent reads, runtime keyword, ``validate``,
   path fields).
2. ``register_adapters`` — provide the factories that build binding objects: ``local`` (a simulation) and/or
   ``remote`` (a proxy through a remote session channel).
3. ``validate_binding`` — diagnostics about any binding (prefer ``BindingType.validate`` for your own type's).
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
    ``register.provided_by(config_key, distribution)`` names the distribution to install for a key no installed
    plugin declares.
    """


@hookspec
def register_adapters(register: AdapterRegistrar) -> None:
    """Provide binding factories: ``register.local(type, factory)`` and ``register.remote(type, factory)``.

    ``factory`` is a callable or a ``"module:attr"`` string (imported only when a binding of that type is built,
    which keeps ``flarebind`` start-up fast). Signatures:

    - local: ``factory(name: str, spec: dict, ctx: LocalContext) -> binding object``
    - remote: ``factory(name: str, spec: dict, channel: RemoteChannel) -> binding object``

    ``spec`` is the flat start-worker binding: the config entry without its name field, preview ids substituted,
    path fields made absolute, plus ``type`` (``{"type": "feature_flags", "namespace": "main", "remote": True}``).
    A type without a remote adapter still works remotely through the generic one. A third party may register a
    local adapter for a type another plugin declared, but only one per type and mode.
    """


@hookspec
def validate_binding(binding: BindingEntry, report: Report) -> None:
    """Add diagnostics for one configured binding with ``report.error(...)`` / ``report.warning(...)``.

    Called for every binding of every type. For checks of your own type, declare ``BindingType.validate``
    instead: it is called for that type's bindings only.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the ``flarebind`` CLI.

    Prefer ``cli.add_lazy_command(name, "module:attr", help=...)``, which imports the command only when it runs.
    """
