"""The registry of binding types and adapters, filled through registrar objects handed to plugin hooks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from flarebind.bindings.types import BindingType
from flarebind.errors import NotSimulatedError, PluginError

Factory = Callable[..., Any]
GENERIC_REMOTE_FACTORY = "flarebind.remote.adapters:make_generic_remote"


@attrs.define
class Registered:
    value: Any
    plugin: str


def resolve_factory(factory: Factory | str) -> Factory:
    """Import a ``"module:attr"`` factory on first use (keeps plugin modules out of start-up)."""
    if callable(factory):
        return factory
    from flarebind.entry_points import resolve

    return resolve(factory)  # type: ignore[no-any-return]


@attrs.define
class BindingRegistry:
    """All binding types and adapters, each remembering the plugin that registered it."""

    types: dict[str, Registered] = attrs.field(factory=dict)  # by internal type
    by_config_key: dict[str, Registered] = attrs.field(factory=dict)
    local: dict[str, Registered] = attrs.field(factory=dict)
    remote: dict[str, Registered] = attrs.field(factory=dict)
    #: plugin -> why its registration hook failed; its bindings fail with that reason, nobody else's do
    failed: dict[str, str] = attrs.field(factory=dict)
    #: config key -> distribution to install when no installed plugin declares the key (``register.provided_by``)
    provided_by: dict[str, str] = attrs.field(factory=dict)

    def plugin_failed(self, plugin: str, reason: str) -> None:
        self.failed[plugin] = reason

    # edge features a plugin serves: ("cdn-cgi", "image") -> handler, ("fetch-cf", "image") -> handler
    edge: dict[tuple[str, str], Registered] = attrs.field(factory=dict)

    def add_type(self, binding_type: BindingType, plugin: str) -> None:
        for index, key in ((self.types, binding_type.type), (self.by_config_key, binding_type.config_key)):
            if key in index:
                other = index[key].plugin
                raise PluginError(
                    plugin,
                    f"binding type {key!r} is already registered by plugin {other!r}; "
                    f"two plugins cannot both declare it (disable one with FLAREBIND_DISABLE_PLUGINS={other} "
                    f"or FLAREBIND_DISABLE_PLUGINS={plugin})",
                )
        entry = Registered(binding_type, plugin)
        self.types[binding_type.type] = entry
        for alias in binding_type.also_types:
            self.types.setdefault(alias, entry)
        self.by_config_key[binding_type.config_key] = entry

    def add_adapter(self, mode: str, type_name: str, factory: Factory | str, plugin: str) -> None:
        table = self.local if mode == "local" else self.remote
        if type_name in table:
            other = table[type_name].plugin
            raise PluginError(plugin, f"a {mode} adapter for {type_name!r} is already registered by plugin {other!r}")
        table[type_name] = Registered(factory, plugin)

    def add_edge(self, kind: str, name: str, handler: Factory | str, plugin: str) -> None:
        if (kind, name) in self.edge:
            other = self.edge[(kind, name)].plugin
            raise PluginError(plugin, f"the {kind} handler {name!r} is already registered by plugin {other!r}")
        self.edge[(kind, name)] = Registered(handler, plugin)

    def edge_handler(self, kind: str, name: str) -> Factory | None:
        """The handler a plugin registered for ``/cdn-cgi/<name>/…`` (kind ``cdn-cgi``) or for outbound
        ``fetch(…, cf={name: …})`` (kind ``fetch-cf``), imported on first use; None when there is none."""
        entry = self.edge.get((kind, name))
        return resolve_factory(entry.value) if entry else None

    def binding_types(self) -> list[BindingType]:
        return [r.value for r in self.by_config_key.values()]

    def get_type(self, type_name: str) -> BindingType | None:
        r = self.types.get(type_name)
        return r.value if r else None

    def type_for_key(self, config_key: str) -> BindingType | None:
        r = self.by_config_key.get(config_key)
        return r.value if r else None

    def plugin_of(self, type_name: str) -> str | None:
        r = self.types.get(type_name)
        return r.plugin if r else None

    def has_adapter(self, mode: str, type_name: str) -> bool:
        return type_name in (self.local if mode == "local" else self.remote)

    def not_simulated(self, type_name: str, binding_name: str) -> NotSimulatedError:
        """The error for a binding whose type no installed plugin simulates locally."""
        bt = self.get_type(type_name)
        friendly = bt.friendly_name if bt else type_name
        hint = (
            "set `remote = true` on the binding to use the real resource"
            if bt and bt.accepts_remote
            else "install a plugin that simulates it"
        )
        return NotSimulatedError(
            f"Binding {binding_name} ({friendly}): no installed plugin provides a local simulation of "
            f"{friendly} bindings yet; {hint}."
        )

    def factory(self, mode: str, type_name: str, binding_name: str) -> Factory:
        table = self.local if mode == "local" else self.remote
        owner = self.plugin_of(type_name)
        if owner in self.failed:
            raise PluginError(
                owner,
                f"binding {binding_name} cannot be built: the plugin failed while registering ({self.failed[owner]})",
            )
        if type_name not in table:
            if mode == "local":
                raise self.not_simulated(type_name, binding_name)
            # the proxy worker applies calls to any binding with its public API, so a type without its own remote
            # adapter still works remotely through the generic one (results keep the proxy's JSON shapes)
            return resolve_factory(GENERIC_REMOTE_FACTORY)
        entry = table[type_name]
        try:
            return resolve_factory(entry.value)
        except Exception as exc:  # an import error in a plugin's adapter module
            raise PluginError(entry.plugin, f"cannot load the {mode} adapter for {type_name!r}: {exc}") from exc


@attrs.define
class BindingTypeRegistrar:
    """Handed to ``register_binding_types``: ``register(BindingType(...))`` declares a type (two plugins declaring
    one ``type`` or ``config_key`` is an error naming both)."""

    registry: BindingRegistry
    plugin: str

    def __call__(self, binding_type: BindingType) -> None:
        self.registry.add_type(binding_type, self.plugin)

    def provided_by(self, config_key: str, distribution: str) -> None:
        """Say which distribution to install for ``config_key`` when no installed plugin declares it (a config
        using the key is then an error naming it). Installed plugins' metadata wins over this hint."""
        self.registry.provided_by.setdefault(config_key, distribution)


@attrs.define
class AdapterRegistrar:
    """Handed to ``register_adapters``: ``register.local(type, factory)`` / ``register.remote(type, factory)``.

    ``factory`` is a callable or a ``"module:attr"`` string imported when a binding of the type is first built."""

    registry: BindingRegistry
    plugin: str

    def local(self, type_name: str, factory: Factory | str) -> None:
        self.registry.add_adapter("local", type_name, factory, self.plugin)

    def remote(self, type_name: str, factory: Factory | str) -> None:
        self.registry.add_adapter("remote", type_name, factory, self.plugin)

    def cdn_cgi(self, name: str, handler: Factory | str) -> None:
        """Serve ``/cdn-cgi/<name>/…`` in ``flarebind dev`` (as Cloudflare's edge serves ``/cdn-cgi/image/…``).

        ``async handler(request, fetch) -> response``: ``request`` is the incoming JS ``Request``; ``fetch(url)``
        fetches a source: a path or a URL on the dev server's own host goes to the Worker, any other URL out.
        """
        self.registry.add_edge("cdn-cgi", name, handler, self.plugin)

    def fetch_cf(self, key: str, handler: Factory | str) -> None:
        """Handle a Worker's outbound ``fetch(url, cf={key: options})`` (``cf.image`` resizing).

        ``async handler(request, options, fetch) -> response``: ``fetch`` is the plain outbound fetch (no ``cf``).
        """
        self.registry.add_edge("fetch-cf", key, handler, self.plugin)
