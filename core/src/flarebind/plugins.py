"""The plugin manager: entry points loaded one at a time, every hook called through pluggy, per plugin.

Nothing happens at import time; :func:`get_plugins` builds the manager on first use. Tests build their own with
:func:`make_plugins` (or register a plugin object with :func:`flarebind.testing.plugins.registered_plugin`).

Why per plugin: pluggy's ordinary ``pm.hook.x(...)`` stops at the first exception, so one buggy plugin would hide
every other plugin's registrations or diagnostics. Each hook is therefore called through
``pm.subset_hook_caller`` restricted to one plugin at a time: pluggy still does the calling (a hookimpl may take a
subset of the arguments, wrappers work), and an exception is pinned on the plugin that raised it.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import pluggy

from flarebind import entry_points, hookspecs
from flarebind.bindings.registry import AdapterRegistrar, BindingRegistry, BindingTypeRegistrar
from flarebind.errors import PluginError

ENTRY_POINT_GROUP = "flarebind"
#: Entry point group naming the config keys a distribution provides (``kv_namespaces = "flarebind_kv"``), read
#: from metadata without importing the plugin: a key whose plugin failed or is disabled is still attributed.
CONFIG_KEYS_GROUP = "flarebind.config_keys"
DEFAULT_PLUGINS = (
    "flarebind.default_plugins.vars",
    "flarebind.default_plugins.always_local",
    "flarebind.default_plugins.other_types",
    "flarebind.default_plugins.first_party",
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
    """One registered plugin and what it provides (``flarebind plugins`` shows these)."""

    name: str
    distribution: str | None
    version: str | None
    default: bool
    binding_types: list[str] = attrs.field(factory=list)
    """Internal type names (``kv_namespace``)."""
    config_keys: list[str] = attrs.field(factory=list)
    adapters: list[str] = attrs.field(factory=list)
    """``type:mode`` (``kv_namespace:local``)."""
    commands: list[str] = attrs.field(factory=list)


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
    #: config key -> distribution, from the ``flarebind.config_keys`` entry points of installed distributions
    key_distributions: dict[str, str] = attrs.field(factory=dict)
    #: entry point names skipped by FLAREBIND_DISABLE_PLUGINS / FLAREBIND_LOAD_PLUGINS, with their distribution
    disabled: dict[str, str | None] = attrs.field(factory=dict)

    def call_each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Exception]]:
        """Call ``hook_name`` through pluggy once per plugin; the ``(plugin, exception)`` of those that raised."""
        return _call_each(self.pm, hook_name, kwargs)

    def validate_binding(self, binding: Any, report: Any) -> None:
        """Everything core and plugins check for one configured binding beyond its fields.

        - a binding whose plugin failed in a registration hook is an error naming the plugin;
        - ``path_fields`` are resolved against the config's directory and must exist;
        - the type's own ``validate``, then the ``validate_binding`` hook of every plugin. An exception is pinned on
          its plugin: an error on this binding when the plugin owns its type, else a warning (a plugin's bug must not
          block another plugin's bindings).
        """
        bt = binding.type
        owner = self.registry.plugin_of(bt.type)
        failed = self.registry.failed.get(owner or "")
        if failed:
            report.error(
                f'{bt.friendly_name} binding "{binding.name}" cannot be used: the flarebind plugin "{owner}" that '
                f"provides it failed ({failed}). Run `flarebind plugins` for details.",
                at=binding.path,
                env=binding.env,
            )
            return
        _check_paths(binding, report)
        if bt.validate is not None:
            try:
                bt.validate(binding, report)
            except Exception as exc:
                report.error(_failed_text(owner, binding, exc), at=binding.path, env=binding.env)
        for plugin, failure in _call_each(self.pm, "validate_binding", {"binding": binding, "report": report}):
            text = _failed_text(plugin, binding, failure)
            if plugin == owner:
                report.error(text, at=binding.path, env=binding.env)
            else:
                report.warning(f"{text} The check was skipped.", at=binding.path, env=binding.env)

    def add_commands(self, cli: Any) -> None:
        """Call ``register_commands`` per plugin, recording which commands each added."""
        for plugin in _plugins_with(self.pm, "register_commands"):
            before = set(getattr(cli, "commands", {})) | set(getattr(cli, "lazy", {}))
            try:
                _subset(self.pm, "register_commands", plugin)(cli=cli)
            except Exception as exc:
                self.errors.append(
                    PluginLoadError(
                        plugin, self._dist(plugin), f"register_commands failed: {type(exc).__name__}: {exc}"
                    )
                )
                continue
            after = set(getattr(cli, "commands", {})) | set(getattr(cli, "lazy", {}))
            if plugin in self.infos:
                self.infos[plugin].commands.extend(sorted(after - before))

    def external(self) -> list[PluginInfo]:
        return [info for info in self.infos.values() if not info.default]

    def _dist(self, plugin: str) -> str | None:
        info = self.infos.get(plugin)
        return info.distribution if info else None

    def key_problem(self, config_key: str) -> str | None:
        """Why ``config_key`` has no usable plugin (``None`` when one provides it)."""
        head = config_key
        if any(bt.config_key.split(".")[0] == head for bt in self.registry.binding_types()):
            return None
        dist = self.key_distributions.get(head)
        if dist is not None:
            failed = next((e for e in self.errors if e.distribution == dist), None)
            if failed is not None:
                return (
                    f'"{head}" bindings are configured, but the flarebind plugin that provides them ({dist}) failed '
                    f"to load: {failed.error}. Run `flarebind plugins` for details, or reinstall it with "
                    f"`pip install --force-reinstall {dist}`."
                )
            if dist in self.disabled.values():
                return (
                    f'"{head}" bindings are configured, but the flarebind plugin that provides them ({dist}) is '
                    "disabled (FLAREBIND_DISABLE_PLUGINS / FLAREBIND_LOAD_PLUGINS); the Worker would lack them."
                )
        dist = dist or self.registry.provided_by.get(head)
        if dist is None:
            return None
        return (
            f'"{head}" bindings are configured, but no installed plugin provides them, so the Worker would lack them. '
            f"Install it with `pip install {dist}` (or `pip install flarebind[all]`)."
        )

    def known_keys(self) -> set[str]:
        """Top-level keys some plugin (installed, broken or hinted) speaks for: never "Unexpected fields"."""
        heads = {bt.config_key.split(".")[0] for bt in self.registry.binding_types()}
        return heads | set(self.key_distributions) | set(self.registry.provided_by)


def _failed_text(plugin: str | None, binding: Any, exc: Exception) -> str:
    return (
        f'The flarebind plugin "{plugin}" failed while validating binding "{binding.name}": {type(exc).__name__}: {exc}'
    )


def _check_paths(binding: Any, report: Any) -> None:
    bt = binding.type
    if not bt.path_fields:
        return
    base = getattr(report, "file", None)
    directory = Path(base).parent if base else Path.cwd()
    for field in bt.path_fields:
        value = binding.entry.get(field)
        if not isinstance(value, str) or not value:
            continue
        resolved = (directory / value).resolve()
        if not resolved.exists():
            report.error(
                f'{bt.friendly_name} binding "{binding.name}": "{field}" is "{value}", but {resolved} does not '
                "exist (relative paths are resolved against the configuration file's directory).",
                at=f"{binding.path}.{field}",
                env=binding.env,
            )


def _plugins_with(pm: pluggy.PluginManager, hook_name: str) -> list[str]:
    """Names of the plugins implementing ``hook_name``, in registration order (defaults, entry points, extras)."""
    names: list[str] = []
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        if impl.plugin_name not in names:
            names.append(impl.plugin_name)
    return names


def _subset(pm: pluggy.PluginManager, hook_name: str, plugin: str) -> Any:
    keep = pm.get_plugin(plugin)
    others = [p for p in pm.get_plugins() if p is not keep]
    return pm.subset_hook_caller(hook_name, remove_plugins=others)


def _call_each(pm: pluggy.PluginManager, hook_name: str, kwargs: dict[str, Any]) -> list[tuple[str, Exception]]:
    failures = []
    for plugin in _plugins_with(pm, hook_name):
        try:
            _subset(pm, hook_name, plugin)(**kwargs)
        except Exception as exc:
            failures.append((plugin, exc))
    return failures


def _load_entry_points(
    found: Iterable[entry_points.FoundEntryPoint], errors: list[PluginLoadError], disabled: dict[str, str | None]
) -> list[tuple[str, Any, entry_points.FoundEntryPoint]]:
    allow = _split_env("FLAREBIND_LOAD_PLUGINS")
    block = _split_env("FLAREBIND_DISABLE_PLUGINS") or set()
    loaded = []
    for ep in found:
        dist = ep.distribution
        if ep.name in block or (dist and dist in block):
            disabled[ep.name] = dist
            continue
        if allow is not None and ep.name not in allow and (dist not in allow):
            disabled[ep.name] = dist
            continue
        try:
            module = entry_points.load(ep)
        except Exception as exc:  # a broken plugin must not break the others
            errors.append(PluginLoadError(ep.name, dist, f"{type(exc).__name__}: {exc}", traceback.format_exc()))
            continue
        loaded.append((ep.name, module, ep))
    return loaded


def make_plugins(*, load_entry_points: bool = True, extra: Iterable[tuple[str, Any]] = ()) -> Plugins:
    """Build a plugin manager: default plugins, then entry points (group ``flarebind``), then ``extra``
    (``(name, module or object)`` pairs: plugins registered in-process, for tests)."""
    import importlib

    pm = pluggy.PluginManager("flarebind")
    pm.add_hookspecs(hookspecs)
    errors: list[PluginLoadError] = []
    infos: dict[str, PluginInfo] = {}
    key_distributions: dict[str, str] = {}
    disabled: dict[str, str | None] = {}

    for modname in DEFAULT_PLUGINS:
        name = modname.rsplit(".", 1)[-1]
        pm.register(importlib.import_module(modname), name=name)
        infos[name] = PluginInfo(name, "flarebind", None, default=True)

    if load_entry_points:
        # remembered between runs (flarebind.entry_points): importlib.metadata only when something was installed
        for name, module, ep in _load_entry_points(entry_points.find(ENTRY_POINT_GROUP), errors, disabled):
            try:
                pm.register(module, name=name)
            except Exception as exc:
                errors.append(PluginLoadError(name, ep.distribution, repr(exc)))
                continue
            infos[name] = PluginInfo(name, ep.distribution, ep.version, default=False)
        for ep in entry_points.find(CONFIG_KEYS_GROUP):
            if ep.distribution:
                key_distributions.setdefault(ep.name, ep.distribution)
    for name, module in extra:
        pm.register(module, name=name)
        infos[name] = PluginInfo(name, None, None, default=False)
    pm.check_pending()

    registry = BindingRegistry()
    for hook_name, registrar_cls in (
        ("register_binding_types", BindingTypeRegistrar),
        ("register_adapters", AdapterRegistrar),
    ):
        for plugin in _plugins_with(pm, hook_name):
            if plugin in registry.failed:
                continue  # its types are gone: adapters for them would only confuse
            registrar = registrar_cls(registry, plugin)
            try:
                _subset(pm, hook_name, plugin)(register=registrar)
            except PluginError as exc:
                errors.append(PluginLoadError(plugin, _dist_of(infos, plugin), str(exc)))
            except Exception as exc:
                text = f"{hook_name} failed: {type(exc).__name__}: {exc}"
                errors.append(PluginLoadError(plugin, _dist_of(infos, plugin), text, traceback.format_exc()))
                registry.plugin_failed(plugin, text)
    for reg in registry.types.values():
        info = infos.get(reg.plugin)
        if info is not None and reg.value.type not in info.binding_types:
            info.binding_types.append(reg.value.type)
            info.config_keys.append(reg.value.config_key)
    for mode, table in (("local", registry.local), ("remote", registry.remote)):
        for type_name, reg in table.items():
            if reg.plugin in infos:
                infos[reg.plugin].adapters.append(f"{type_name}:{mode}")
    return Plugins(pm, registry, infos, errors, key_distributions, disabled)


def _dist_of(infos: dict[str, PluginInfo], plugin: str) -> str | None:
    info = infos.get(plugin)
    return info.distribution if info else None


_plugins: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugin manager, built on first use."""
    global _plugins
    if _plugins is None:
        _plugins = make_plugins()
    return _plugins


def set_plugins(plugins: Plugins | None) -> Plugins | None:
    """Replace the process-wide manager (testing helpers); returns the previous one."""
    global _plugins
    previous, _plugins = _plugins, plugins
    return previous


def reset_plugins() -> None:
    """Forget the process-wide manager (tests that install plugins, ``FLAREBIND_*`` changes)."""
    global _plugins
    _plugins = None
