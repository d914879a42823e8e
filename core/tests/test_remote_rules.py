"""The `remote` rules come from each type's support class and use wrangler's exact texts."""

from __future__ import annotations

import pytest
from flarebind.config import load_config

HINT = (
    "You can set `remote: true` for the binding definition in your configuration file to access a remote version "
    "of the resource."
)


def diags_for(write_config, body):
    _, diags = load_config(write_config('name = "app"\n' + body))
    return [(d.level, d.message) for d in diags]


def test_ai_remote_false_is_an_error(write_config):
    assert diags_for(write_config, '[ai]\nbinding = "AI"\nremote = false\n') == [
        ("error", f"AI bindings do not support local development. {HINT}")
    ]


def test_ai_without_remote_warns_always_remote(write_config):
    assert diags_for(write_config, '[ai]\nbinding = "AI"\n') == [
        (
            "warning",
            "AI bindings always access remote resources, and so may incur usage charges even in local dev. "
            "To suppress this warning, set `remote: true` for the binding definition in your configuration file.",
        )
    ]


def test_ai_remote_true_is_silent(write_config):
    assert diags_for(write_config, '[ai]\nbinding = "AI"\nremote = true\n') == []


class _RemoteClassPlugin:
    """A type with no local simulator (Support.REMOTE): no first-party type is in that class any more (dispatch
    namespaces run locally since user Workers can be registered with `dispatch-namespace add-local`)."""

    from flarebind.plugin import hookimpl

    @hookimpl
    def register_binding_types(self, register):
        from flarebind.plugin import BindingType, Support

        register(
            BindingType(
                type="remote_gadget",
                config_key="remote_gadgets",
                friendly_name="Remote Gadget",
                support=Support.REMOTE,
                fields={"binding": str},
                required=("binding",),
            )
        )


@pytest.fixture
def remote_class_type():
    from flarebind.plugin import registered_plugin

    with registered_plugin(_RemoteClassPlugin(), "remote-gadget"):
        yield


@pytest.mark.parametrize(
    ("body", "friendly"),
    [
        ('[[remote_gadgets]]\nbinding = "D"\n', "Remote Gadget"),
    ],
)
def test_remote_class_without_remote_warns(write_config, body, friendly, remote_class_type):
    assert diags_for(write_config, body) == [
        (
            "warning",
            f"{friendly} bindings do not support local development, and so parts of your Worker may not work "
            f"correctly. {HINT}",
        )
    ]
    assert diags_for(write_config, body + "remote = false\n") == [
        ("error", f"{friendly} bindings do not support local development. {HINT}")
    ]
    assert diags_for(write_config, body + "remote = true\n") == []


def test_vectorize_runs_locally_with_its_simulator(write_config):
    # flarebind-vectorize is installed: no "do not support local development" warning, and remote stays allowed
    body = '[[vectorize]]\nbinding = "V"\nindex_name = "i"\n'
    assert diags_for(write_config, body) == []
    assert diags_for(write_config, body + "remote = true\n") == []
    assert diags_for(write_config, body + "remote = false\n") == []


def test_dispatch_namespaces_run_locally_or_remotely(write_config):
    body = '[[dispatch_namespaces]]\nbinding = "D"\nnamespace = "n"\n'
    assert diags_for(write_config, body) == []
    assert diags_for(write_config, body + "remote = true\n") == []


@pytest.mark.parametrize(
    ("body", "friendly"),
    [
        ('[[durable_objects.bindings]]\nname = "DO"\nclass_name = "C"\nremote = true\n', "Durable Object"),
        ('[[workflows]]\nbinding = "W"\nname = "w"\nclass_name = "C"\nremote = true\n', "Workflow"),
        ('[[hyperdrive]]\nbinding = "H"\nid = "h"\nremote = true\n', "Hyperdrive Config"),
        ('[[analytics_engine_datasets]]\nbinding = "AE"\nremote = true\n', "Analytics Engine Dataset"),
        ('[[ratelimits]]\nname = "RL"\nnamespace_id = "1"\nremote = true\n', "Rate Limit"),
        ('[version_metadata]\nbinding = "VM"\nremote = true\n', "Worker Version Metadata"),
        # with a main: an assets-only Worker may not have an assets binding at all (wrangler's rule)
        ('main = "src/entry.py"\n[assets]\ndirectory = "public"\nbinding = "ASSETS"\nremote = true\n', "Assets"),
    ],
)
def test_remote_true_on_local_only_type_is_an_error(write_config, body, friendly, tmp_path):
    (tmp_path / "public").mkdir()  # assets.directory must exist (a config error otherwise, as in wrangler)
    assert diags_for(write_config, body) == [
        ("error", f"{friendly} bindings do not support accessing remote resources.")
    ]


def test_non_boolean_remote_is_an_error(write_config):
    assert diags_for(write_config, '[[kv_namespaces]]\nbinding = "KV"\nid = "k"\nremote = "yes"\n') == [
        (
            "error",
            '"kv_namespaces[0]" should, optionally, have a boolean "remote" field but got '
            '{"binding":"KV","id":"k","remote":"yes"}.',
        )
    ]


def test_local_and_remote_types_accept_any_boolean(write_config):
    for value in ("true", "false"):
        assert diags_for(write_config, f'[[r2_buckets]]\nbinding = "R"\nbucket_name = "bkt"\nremote = {value}\n') == []
