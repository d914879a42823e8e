"""The plugin manager: registrations per plugin, duplicates named, failures isolated."""

from __future__ import annotations

import types

import pytest
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
        register(
            BindingType(
                type=key, config_key=key, friendly_name=key.title(), support=Support.LOCAL_ONLY, fields={"binding": str}
            )
        )

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
    assert {p.name for p in plugins.infos.values() if p.default} == {
        "vars",
        "always_local",
        "other_types",
        "first_party",
    }


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
    assert supports["dispatch_namespaces"] is Support.LOCAL_AND_REMOTE  # user Workers from dispatch-namespace add-local
    # flarebind-vectorize, -mtls, -browser and -images ship local simulators (an exact index, a local client
    # certificate, a local Chromium, Pillow), so those bindings run locally unless remote = true
    local_and_remote = ("kv_namespaces", "vectorize", "mtls_certificates", "browser", "images")
    assert {key: supports[key] for key in local_and_remote} == dict.fromkeys(local_and_remote, Support.LOCAL_AND_REMOTE)


# ---------------------------------------------------------------------------------------- contract v2: hooks


def test_hooks_are_called_through_pluggy_a_hookimpl_may_take_a_subset_of_the_arguments(tmp_path):
    from flarebind.config.read import load_config

    seen = []

    def validate_binding(binding):  # no `report`: pluggy passes only what the impl names
        seen.append(binding.name)

    plugins = make_plugins(
        load_entry_points=False,
        extra=[
            (
                "subset",
                plugin_module("subset", register_binding_types=declare("gizmos"), validate_binding=validate_binding),
            )
        ],
    )
    (tmp_path / "wrangler.toml").write_text('name = "a"\n\n[[gizmos]]\nbinding = "G"\n')
    _, diagnostics = load_config(tmp_path / "wrangler.toml", plugins=plugins)
    assert [d for d in diagnostics if d.is_error] == []
    assert seen == ["G"]


def test_a_hookwrapper_sees_the_registration_of_its_plugin():
    import types

    order = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def register_binding_types(self, register):
            order.append("before")
            result = yield
            order.append("after")
            return result

    def declare_gizmos(register):
        order.append("declare")
        declare("gizmos")(register)

    plain = plugin_module("plain", register_binding_types=declare_gizmos)
    plugins = make_plugins(load_entry_points=False, extra=[("plain", plain), ("wrapping", Wrapper())])
    # the wrapper belongs to another plugin, so it wraps only its own (empty) call: each plugin is called alone
    assert order == ["declare", "before", "after"]
    assert plugins.registry.get_type("gizmos") is not None
    assert isinstance(plain, types.ModuleType)


def test_a_validate_hook_that_raises_fails_only_its_own_plugins_bindings(tmp_path):
    from flarebind.config.read import load_config

    def validate_binding(binding, report):
        raise RuntimeError("buggy")

    plugins = make_plugins(
        load_entry_points=False,
        extra=[
            (
                "buggy",
                plugin_module("buggy", register_binding_types=declare("gizmos"), validate_binding=validate_binding),
            ),
            ("fine", plugin_module("fine", register_binding_types=declare("widgets"))),
        ],
    )
    (tmp_path / "wrangler.toml").write_text('name = "a"\n\n[[gizmos]]\nbinding = "G"\n\n[[widgets]]\nbinding = "W"\n')
    _, diagnostics = load_config(tmp_path / "wrangler.toml", plugins=plugins)
    errors = [d for d in diagnostics if d.is_error]
    # (the test types have no local adapter, so each binding also gets a `not simulated` warning)
    warnings = [d for d in diagnostics if not d.is_error and "not simulated locally" not in d.message]
    (error,) = errors  # on the buggy plugin's own binding
    assert error.path == "gizmos[0]"
    assert error.message == 'The flarebind plugin "buggy" failed while validating binding "G": RuntimeError: buggy'
    (warning,) = warnings  # the other plugin's binding still validates; the bug is named, not fatal
    assert warning.path == "widgets[0]" and warning.message.endswith("The check was skipped.")


def test_a_type_validate_callable_sees_only_its_type_and_its_failure_is_pinned(tmp_path):
    from flarebind.config.read import load_config

    calls = []

    def check(binding, report):
        calls.append(binding.name)
        if binding.entry.get("size", 0) > 3:
            report.error("too big", at=f"{binding.path}.size")
        if binding.name == "BOOM":
            raise ValueError("bad plugin")

    def register_binding_types(register):
        register(
            BindingType(
                type="gizmo",
                config_key="gizmos",
                friendly_name="Gizmo",
                support=Support.LOCAL_ONLY,
                fields={"binding": str, "size": int},
                validate=check,
            )
        )

    plugins = make_plugins(
        load_entry_points=False,
        extra=[
            ("g", plugin_module("g", register_binding_types=register_binding_types)),
            ("w", plugin_module("w", register_binding_types=declare("widgets"))),
        ],
    )
    (tmp_path / "wrangler.toml").write_text(
        'name = "a"\n\n[[gizmos]]\nbinding = "A"\nsize = 9\n\n[[gizmos]]\nbinding = "BOOM"\n\n'
        '[[widgets]]\nbinding = "W"\n'
    )
    _, diagnostics = load_config(tmp_path / "wrangler.toml", plugins=plugins)
    assert calls == ["A", "BOOM"]
    # (the test types have no local adapter: their `not simulated` warnings are not what this test is about)
    diagnostics = [d for d in diagnostics if "not simulated locally" not in d.message]
    assert [(d.path, d.message) for d in diagnostics] == [
        ("gizmos[0].size", "too big"),
        ("gizmos[1]", 'The flarebind plugin "g" failed while validating binding "BOOM": ValueError: bad plugin'),
    ]


def test_a_failed_registration_fails_only_that_plugins_bindings(tmp_path):
    from flarebind.config.read import load_config
    from flarebind.errors import PluginError
    from flarebind.platform import build_env
    from flarebind.plugin import LocalContext

    def register_adapters(register):
        register.local("gizmos", lambda name, spec, ctx: "never")
        raise RuntimeError("adapter hook broke")

    plugins = make_plugins(
        load_entry_points=False,
        extra=[
            (
                "broken",
                plugin_module("broken", register_binding_types=declare("gizmos"), register_adapters=register_adapters),
            ),
        ],
    )
    assert [e.name for e in plugins.errors] == ["broken"]
    (tmp_path / "wrangler.toml").write_text('name = "a"\n\n[[gizmos]]\nbinding = "G"\n\n[vars]\nOK = "yes"\n')
    _, diagnostics = load_config(tmp_path / "wrangler.toml", plugins=plugins)
    (error,) = diagnostics
    assert error.path == "gizmos[0]" and 'the flarebind plugin "broken" that provides it failed' in error.message
    with pytest.raises(PluginError, match="adapter hook broke"):
        plugins.registry.factory("local", "gizmos", "G")
    from flarebind.plugins import set_plugins

    previous = set_plugins(plugins)
    try:
        env = build_env({"OK": {"type": "plain_text", "value": "yes"}}, LocalContext(in_memory=True))
        assert env["OK"] == "yes"  # every other binding still builds
    finally:
        set_plugins(previous)


def test_a_wrangler_key_without_its_plugin_is_an_error_naming_the_distribution(tmp_path):
    from flarebind.config.read import load_config

    plugins = make_plugins(load_entry_points=False)  # none of the first-party plugins
    (tmp_path / "wrangler.toml").write_text('name = "a"\n\n[[kv_namespaces]]\nbinding = "KV"\nid = "x"\n')
    _, diagnostics = load_config(tmp_path / "wrangler.toml", plugins=plugins)
    (error,) = diagnostics
    assert error.is_error and error.path == "kv_namespaces" and error.line == 3
    assert error.message == (
        '"kv_namespaces" bindings are configured, but no installed plugin provides them, so the Worker would lack '
        "them. Install it with `pip install flarebind-kv` (or `pip install flarebind[all]`)."
    )


def test_installed_metadata_names_the_distribution_of_a_failed_plugin(tmp_path):
    from flarebind.config.read import load_config
    from flarebind.plugins import PluginLoadError

    plugins = make_plugins(load_entry_points=False)
    plugins.key_distributions["gizmos"] = "flarebind-gizmos"
    plugins.errors.append(PluginLoadError("gizmos", "flarebind-gizmos", "ImportError: no module named numpy"))
    (tmp_path / "wrangler.toml").write_text('name = "a"\n\n[[gizmos]]\nbinding = "G"\n')
    _, diagnostics = load_config(tmp_path / "wrangler.toml", plugins=plugins)
    (error,) = diagnostics  # not "Unexpected fields": the key is known to belong to a (failed) plugin
    assert error.is_error and "(flarebind-gizmos) failed to load: ImportError: no module named numpy" in error.message


def test_commands_are_recorded_per_plugin():
    from flarebind.cli import make_cli

    def register_commands(cli):
        cli.add_lazy_command("gizmo", "nowhere:cmd", help="Gizmos.")

    plugins = make_plugins(
        load_entry_points=False, extra=[("g", plugin_module("g", register_commands=register_commands))]
    )
    make_cli(plugins)
    assert plugins.infos["g"].commands == ["gizmo"]
