"""The plugin manager: registrations per plugin, duplicates named, failures isolated."""

from __future__ import annotations

import types

from flarebind.bindings.types import BindingType, Support
from flarebind.hookspecs import hookimpl
from flarebind.plugins import make_plugins


def plugin_module(name: str, **hooks):
    module = types.ModuleType(name)
    for hook, fn in hooks.items():
        setattr(module, hook, hookimpl(fn))
    return module


def declare(key: str):
    def register_binding_types(register):
        register(BindingType(type=key, config_key=key, friendly_name=key.title(), support=Support.LOCAL_ONLY))

    return register_binding_types


def test_duplicate_config_key_is_an_error_naming_both_plugins():
    plugins = make_plugins(
        load_entry_points=False,
        extra=[
            ("first", plugin_module("first", register_binding_types=declare("widgets"))),
            ("second", plugin_module("second", register_binding_types=declare("widgets"))),
        ],
    )
    (error,) = plugins.errors
    assert error.name == "second"
    assert "'widgets' is already registered by plugin 'first'" in error.error
    assert plugins.registry.plugin_of("widgets") == "first"


def test_a_raising_registration_hook_is_reported_and_others_still_register():
    def boom(register):
        raise RuntimeError("kaboom")

    plugins = make_plugins(
        load_entry_points=False,
        extra=[
            ("bad", plugin_module("bad", register_binding_types=boom)),
            ("good", plugin_module("good", register_binding_types=declare("gadgets"))),
        ],
    )
    assert [e.name for e in plugins.errors] == ["bad"]
    assert "kaboom" in plugins.errors[0].error
    assert plugins.registry.get_type("gadgets") is not None


def test_default_plugins_declare_every_reference_key():
    plugins = make_plugins(load_entry_points=False)
    keys = {bt.config_key for bt in plugins.registry.binding_types()}
    expected = {
        "vars",
        "secrets",
        "durable_objects.bindings",
        "workflows",
        "services",
        "queues.producers",
        "hyperdrive",
        "analytics_engine_datasets",
        "ratelimits",
        "assets",
        "version_metadata",
        "send_email",
        "pipelines",
        "secrets_store_secrets",
        "worker_loaders",
        "stream",
        "media",
        "ai_search",
        "ai_search_namespaces",
        "websearch",
        "agent_memory",
        "artifacts",
        "flagship",
        "vpc_services",
        "vpc_networks",
        "wasm_modules",
        "text_blobs",
        "data_blobs",
        "logfwdr.bindings",
        "unsafe.bindings",
    }
    assert expected <= keys
    assert {p.name for p in plugins.infos.values() if p.default} == {"vars", "always_local", "other_types"}


def test_first_party_plugins_cover_the_rest():
    plugins = make_plugins()
    keys = {bt.config_key for bt in plugins.registry.binding_types()}
    assert {
        "kv_namespaces",
        "r2_buckets",
        "d1_databases",
        "ai",
        "vectorize",
        "browser",
        "mtls_certificates",
        "images",
        "dispatch_namespaces",
    } <= keys
    supports = {bt.config_key: bt.support for bt in plugins.registry.binding_types()}
    assert supports["ai"] is Support.ALWAYS_REMOTE
    assert supports["vectorize"] is supports["dispatch_namespaces"] is Support.REMOTE
    # flarebind-mtls ships a local simulator (a local client certificate), so mTLS runs locally without `remote`
    assert supports["mtls_certificates"] is Support.LOCAL_AND_REMOTE
    assert supports["kv_namespaces"] is Support.LOCAL_AND_REMOTE
