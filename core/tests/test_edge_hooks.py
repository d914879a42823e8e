"""Edge features served by plugins (``register.cdn_cgi`` / ``register.fetch_cf``): registration, conflicts, lookup."""

from __future__ import annotations

import types

from flarebind.hookspecs import hookimpl
from flarebind.plugins import make_plugins


async def serve_thing(request, fetch):
    return ("served", request)


def plugin(name: str, kind: str, key: str, handler):
    def register_adapters(register):
        getattr(register, kind)(key, handler)

    module = types.ModuleType(name)
    module.register_adapters = hookimpl(register_adapters)
    return module


def test_handlers_are_found_by_kind_and_name_and_imported_lazily():
    plugins = make_plugins(
        load_entry_points=False,
        extra=[
            ("a", plugin("a", "cdn_cgi", "thing", "json:dumps")),
            ("b", plugin("b", "fetch_cf", "thing", serve_thing)),
        ],
    )
    assert not plugins.errors
    registry = plugins.registry
    assert registry.edge[("cdn-cgi", "thing")].value == "json:dumps"  # not imported yet
    assert registry.edge_handler("cdn-cgi", "thing").__name__ == "dumps"
    assert registry.edge_handler("fetch-cf", "thing") is serve_thing
    assert registry.edge_handler("cdn-cgi", "other") is None


def test_two_plugins_serving_one_path_is_an_error_naming_both():
    plugins = make_plugins(
        load_entry_points=False,
        extra=[
            ("first", plugin("first", "cdn_cgi", "image", serve_thing)),
            ("second", plugin("second", "cdn_cgi", "image", serve_thing)),
        ],
    )
    (error,) = plugins.errors
    assert error.name == "second"
    assert "the cdn-cgi handler 'image' is already registered by plugin 'first'" in error.error


def test_fetch_cf_lookup_takes_the_first_handled_key(monkeypatch):
    from flarebind.runtime import edge

    plugins = make_plugins(load_entry_points=False, extra=[("b", plugin("b", "fetch_cf", "image", serve_thing))])
    monkeypatch.setattr(edge, "_registry", lambda: plugins.registry)
    assert edge.fetch_cf_handler({"cacheTtl": 5, "image": {"width": 10}}) == (serve_thing, {"width": 10})
    assert edge.fetch_cf_handler({"cacheTtl": 5}) is None
    assert edge.fetch_cf_handler(None) is None
    assert edge.cdn_cgi_handler("/cdn-cgi/image/width=1/x.png") is None  # only fetch-cf was registered
