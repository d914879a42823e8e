"""What a binding type declares is what the core uses: upload metadata, reads, runtime keywords, the store cache,
the table's Mode cell; and the core names no first-party binding type outside its default plugins."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest
from flarebind.bindings.metadata import passthrough_metadata
from flarebind.bindings.rules import table_mode
from flarebind.plugin import BindingType, LocalContext, Support, hookimpl
from flarebind.plugins import make_plugins
from flarebind.testing.plugins import project_from_config, registered_plugin

CORE = Path(__file__).resolve().parents[1] / "src" / "flarebind"


def gadget_plugin(**declared):
    module = types.ModuleType("gadgets")

    @hookimpl
    def register_binding_types(register):
        register(
            BindingType(
                type="gadget",
                config_key="gadgets",
                friendly_name="Gadget",
                support=Support.LOCAL_AND_REMOTE,
                fields={"binding": str, "gadget_id": str},
                resource_fields=("gadget_id",),
                **declared,
            )
        )

    @hookimpl
    def register_adapters(register):
        register.local("gadget", lambda name, spec, ctx: ("local gadget", spec))

    module.register_binding_types = register_binding_types
    module.register_adapters = register_adapters
    return module


def test_a_declaration_written_before_contract_v2_still_works():
    bt = BindingType(type="t", config_key="ts", friendly_name="T", support=Support.LOCAL_ONLY)
    assert bt.validate is None and bt.upload_metadata is None and bt.runtime_option is None
    assert bt.reads == () and bt.path_fields == ()
    assert bt.is_read({"get": "size"}) and not bt.is_read({"call": "get", "args": []})


def test_upload_metadata_is_the_types_own_builder_or_the_pass_through():
    with registered_plugin(gadget_plugin(upload_metadata=lambda name, spec: {"name": name, "type": "gizmo_v2"})):
        from flarebind.remote.provision import metadata_bindings, to_metadata_binding

        assert to_metadata_binding("G", {"type": "gadget", "gadget_id": "g1"}) == {"name": "G", "type": "gizmo_v2"}
        (gadget, secret) = metadata_bindings({"G": {"type": "gadget"}}, "s")
        assert gadget == {"name": "G", "type": "gizmo_v2"} and secret["name"] == "FLAREBIND_PROXY_SECRET"
    with registered_plugin(gadget_plugin()):
        from flarebind.remote.provision import to_metadata_binding

        spec = {"type": "gadget", "gadget_id": "g1", "remote": True, "dev": {}}
        assert to_metadata_binding("G", spec) == {"name": "G", "type": "gadget", "gadget_id": "g1"}
    assert passthrough_metadata("X", {"type": "x", "a": 1, "remote_proxy_connection_string": "u"}) == {
        "name": "X",
        "type": "x",
        "a": 1,
    }


def test_the_relay_asks_the_declaration_which_ops_read():
    from flarebind.remote.relay import calls_are_reads

    def only_small_gets(op):
        return op.get("call") == "get" and len(op.get("args") or []) == 1

    for reads, get_ok, list_ok in (({"get", "list"}, True, True), (only_small_gets, True, False), ((), False, False)):
        with registered_plugin(gadget_plugin(reads=reads)):
            types_ = {"G": "gadget"}
            assert calls_are_reads(types_, b'{"binding":"G","calls":[{"call":"get","args":["k"]}]}') is get_ok
            assert calls_are_reads(types_, b'{"binding":"G","calls":[{"call":"list","args":[]}]}') is list_ok
            assert not calls_are_reads(types_, b'{"binding":"G","calls":[{"call":"put","args":["k","v"]}]}')


async def test_runtime_keywords_come_from_declarations(tmp_path):
    from flarebind.runtime.runtime import Runtime

    (tmp_path / "entry.py").write_text(
        "from workers import Response, WorkerEntrypoint\n\n"
        "class Default(WorkerEntrypoint):\n"
        "    async def fetch(self, request):\n"
        "        return Response(repr(self.env.G))\n"
    )
    with registered_plugin(gadget_plugin(runtime_option="gadgets")):
        runtime = Runtime(main=tmp_path / "entry.py", in_memory=True, gadgets={"G": "g1"}, kv_namespaces=["KV"])
        async with runtime:
            body = await (await runtime.dispatch_fetch("http://localhost/")).text()
        assert body == repr(("local gadget", {"type": "gadget", "gadget_id": "g1"}))
        with pytest.raises(TypeError, match="unexpected keyword argument 'gizmos'"):
            Runtime(main=tmp_path / "entry.py", gizmos={})


async def test_local_context_store_is_shared_per_resource_and_closed_on_dispose():
    closed = []

    class Store:
        def __init__(self, name):
            self.name = name

        def close(self):
            closed.append(self.name)

    ctx = LocalContext(in_memory=True)
    a = ctx.store("kind", "r1", lambda: Store("r1"))
    assert ctx.store("kind", "r1", lambda: Store("again")) is a
    assert ctx.store("other", "r1", lambda: Store("other-r1")) is not a
    b = ctx.store("kind", "r2", lambda: Store("r2"), close=lambda s: closed.append(f"custom {s.name}"))
    assert b is not a
    await ctx.dispose()
    assert closed == ["custom r2", "other-r1", "r1"]  # last opened first
    assert ctx.store("kind", "r1", lambda: Store("fresh")).name == "fresh"  # after dispose: a new one
    await ctx.dispose()


def test_path_fields_are_resolved_against_the_config_and_checked(tmp_path):
    from flarebind import convert_config_bindings_to_start_worker_bindings
    from flarebind.plugin import ConfigError

    with registered_plugin(gadget_plugin(path_fields=("gadget_id",))):
        project = project_from_config(
            tmp_path, '[[gadgets]]\nbinding = "G"\ngadget_id = "conf/g.json"\n', files={"conf/g.json": "{}"}
        )
        specs = convert_config_bindings_to_start_worker_bindings(project.config)
        assert specs["G"]["gadget_id"] == str((tmp_path / "conf" / "g.json").resolve())
        with pytest.raises(ConfigError) as info:
            project_from_config(tmp_path / "b", '[[gadgets]]\nbinding = "G"\ngadget_id = "missing.json"\n')
        (diag,) = info.value.diagnostics
        assert diag.path == "gadgets[0].gadget_id" and diag.line == 5
        assert diag.message.startswith('Gadget binding "G": "gadget_id" is "missing.json", but ')


def test_a_declared_simulator_names_the_mode_and_replaces_wranglers_warning(tmp_path):
    from flarebind.bindings.table import render_table, table_rows

    remote_only = dict(support=Support.REMOTE, simulator="exact kNN index")
    bt = BindingType(type="v", config_key="vs", friendly_name="Index", **remote_only)
    assert table_mode(bt, None) == "local (exact kNN index)"
    assert table_mode(bt, True) == "remote"

    module = types.ModuleType("idx")

    @hookimpl
    def register_binding_types(register):
        register(BindingType(type="v", config_key="vs", friendly_name="Index", fields={"binding": str}, **remote_only))

    module.register_binding_types = register_binding_types
    with registered_plugin(module, entry_points=False):
        project = project_from_config(tmp_path, '[[vs]]\nbinding = "V"\n')
        (note,) = project.config.diagnostics
        assert note.message == (
            'Index binding "V" runs on a local simulator (exact kNN index) that Cloudflare does not ship; set '
            "`remote = true` on it to use the real resource."
        )
        table = render_table(table_rows(project.config))
        assert table.splitlines()[2].split() == ["env.V", "Index", "local", "(exact", "kNN", "index)"]


def test_plugins_registered_in_process_are_seen_by_the_process_wide_manager():
    from flarebind.plugins import get_plugins

    before = get_plugins()
    with registered_plugin(gadget_plugin()) as plugins:
        assert get_plugins() is plugins and plugins.registry.get_type("gadget") is not None
    assert get_plugins() is before


# the first-party binding types and their config keys: only their plugins (and default_plugins' install hints,
# and the conformance harness that drives the first-party proxy bindings) may name them
FIRST_PARTY = (
    "kv_namespace|kv_namespaces|r2_bucket|r2_buckets|d1|d1_databases|ai|vectorize|images|mtls_certificate|"
    "mtls_certificates|browser|dispatch_namespace|dispatch_namespaces"
)
ALLOWED = {
    "default_plugins",  # declarations and install hints
    "config/keys.py",  # wrangler's schema: which top-level keys exist and how environments treat them
    "testing/remote_proxy.py",  # the conformance harness: the test proxy declares first-party bindings
    "runtime/sdk/rpc.py",  # Cloudflare's SDK: which binding types its _BindingWrapper / _FetcherWrapper wrap
    "explorer/",  # Miniflare's explorer API has fixed routes and fields per kind (kv, r2, d1): it names them
}


def test_the_core_names_no_first_party_binding_type():
    literal = re.compile(rf"""(["'])({FIRST_PARTY})\1""")
    offenders = []
    for path in sorted(CORE.rglob("*")):
        if path.suffix not in (".py", ".js", ".tmpl") or "__pycache__" in path.parts:
            continue
        rel = path.relative_to(CORE).as_posix()
        if any(rel.startswith(a) for a in ALLOWED):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if literal.search(line):
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert offenders == []


def test_the_default_plugins_know_no_first_party_adapter():
    plugins = make_plugins(load_entry_points=False)
    for type_name in ("kv_namespace", "r2_bucket", "d1", "vectorize", "ai"):
        assert plugins.registry.get_type(type_name) is None
    assert plugins.registry.provided_by["kv_namespaces"] == "flarebind-kv"
