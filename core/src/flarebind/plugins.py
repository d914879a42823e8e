"""The plugin manager: entry points loaded one at a time, registrar hooks called per plugin.

Nothing happens at import time; :func:`get_plugins` builds the manager on first use. Tests build their own with
:func:`make_plugins`.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable
from typing import Any

import attrs
import pluggy

from flarebind import entry_points, hookspecs
from flarebind.bindings.registry import AdapterRegistrar, BindingRegistry, BindingTypeRegistrar
from flarebind.errors import PluginError

ENTRY_POINT_GROUP = "flarebind"
DEFAULT_PLUGINS = (
    "flarebind.default_plugins.vars",
    "flarebind.default_plugins.always_local",
    "flarebind.default_plugins.other_types",
)


@attrs.define
class PluginLoadError:
    """A plugin that could not be loaded or failed in a registration hook."""

    name: str
    distribution: str | None
    error: str
    traceback: str = ""


@attrs.define
class PluginInfo:
    name: str
    distribution: str | None
    version: str | None
    default: bool
    binding_types: list[str] = attrs.field(factory=list)
    adapters: list[str] = attrs.field(factory=list)


def _split_env(name: str) -> set[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


@attrs.define
class Plugins:
    """A typed facade over pluggy: core code calls these methods, never ``pm.hook`` directly."""

    pm: pluggy.PluginManager
    registry: BindingRegistry
    infos: dict[str, PluginInfo]
    errors: list[PluginLoadError]

    def validate_binding(self, binding: Any, report: Any) -> None:
        for impl in self.pm.hook.validate_binding.get_hookimpls():
            try:
                impl.function(binding=binding, report=report)
            except Exception as exc:
                report.error(f"plugin {impl.plugin_name!r} failed while validating: {exc!r}", at=binding.path)

    def add_commands(self, cli: Any) -> None:
        for impl in self.pm.hook.register_commands.get_hookimpls():
            try:
                impl.function(cli=cli)
            except Exception as exc:
                self.errors.append(PluginLoadError(impl.plugin_name, None, f"register_commands failed: {exc!r}"))

    def external(self) -> list[PluginInfo]:
        return [info for info in self.infos.values() if not info.default]


def _load_entry_points(
    found: Iterable[entry_points.FoundEntryPoint], errors: list[PluginLoadError]
) -> list[tuple[str, Any, entry_points.FoundEntryPoint]]:
    allow = _split_env("FLAREBIND_LOAD_PLUGINS")
    block = _split_env("FLAREBIND_DISABLE_PLUGINS") or set()
    loaded = []
    for ep in found:
        dist = ep.distribution
        if ep.name in block or (dist and dist in block):
            continue
        if allow is not None and ep.name not in allow and (dist not in allow):
            continue
        try:
            module = entry_points.load(ep)
        except Exception as exc:  # a broken plugin must not break the others
            errors.append(PluginLoadError(ep.name, dist, f"{type(exc).__name__}: {exc}", traceback.format_exc()))
            continue
        loaded.append((ep.name, module, ep))
    return loaded


def make_plugins(*, load_entry_points: bool = True, extra: Iterable[tuple[str, Any]] = ()) -> Plugins:
    """Build a plugin manager: default plugins, then entry points (group ``flarebind``), then ``extra``."""
    import importlib

    pm = pluggy.PluginManager("flarebind")
    pm.add_hookspecs(hookspecs)
    errors: list[PluginLoadError] = []
    infos: dict[str, PluginInfo] = {}

    for modname in DEFAULT_PLUGINS:
        name = modname.rsplit(".", 1)[-1]
        pm.register(importlib.import_module(modname), name=name)
        infos[name] = PluginInfo(name, "flarebind", None, default=True)

    if load_entry_points:
        # remembered between runs (flarebind.entry_points): importlib.metadata only when something was installed
        for name, module, ep in _load_entry_points(entry_points.find(ENTRY_POINT_GROUP), errors):
            try:
                pm.register(module, name=name)
            except Exception as exc:
                errors.append(PluginLoadError(name, ep.distribution, repr(exc)))
                continue
            infos[name] = PluginInfo(name, ep.distribution, ep.version, default=False)
    for name, module in extra:
        pm.register(module, name=name)
        infos[name] = PluginInfo(name, None, None, default=False)
    pm.check_pending()

    registry = BindingRegistry()
    for hook, registrar_cls in (
        (pm.hook.register_binding_types, BindingTypeRegistrar),
        (pm.hook.register_adapters, AdapterRegistrar),
    ):
        for impl in hook.get_hookimpls():  # registration order: defaults, entry points, extras
            registrar = registrar_cls(registry, impl.plugin_name)
            try:
                impl.function(register=registrar)
            except PluginError as exc:
                errors.append(PluginLoadError(impl.plugin_name, None, str(exc)))
            except Exception as exc:
                errors.append(
                    PluginLoadError(
                        impl.plugin_name,
                        None,
                        f"{hook.name} failed: {type(exc).__name__}: {exc}",
                        traceback.format_exc(),
                    )
                )
    for reg in registry.types.values():
        if reg.plugin in infos:
            infos[reg.plugin].binding_types.append(reg.value.config_key)
    for mode, table in (("local", registry.local), ("remote", registry.remote)):
        for type_name, reg in table.items():
            if reg.plugin in infos:
                infos[reg.plugin].adapters.append(f"{type_name}:{mode}")
    return Plugins(pm, registry, infos, errors)


_plugins: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugin manager, built on first use."""
    global _plugins
    if _plugins is None:
        _plugins = make_plugins()
    return _plugins


def reset_plugins() -> None:
    """Forget the process-wide manager (tests that install plugins, ``FLAREBIND_*`` changes)."""
    global _plugins
    _plugins = None
