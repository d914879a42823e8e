"""Property tests: random and mutated configs always give diagnostics or a config, never a traceback."""

from __future__ import annotations

import json

from flarebind import convert_config_bindings_to_start_worker_bindings
from flarebind.bindings.table import render_table, table_rows
from flarebind.config import load_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = [
    "name",
    "main",
    "compatibility_date",
    "compatibility_flags",
    "vars",
    "kv_namespaces",
    "r2_buckets",
    "d1_databases",
    "ai",
    "vectorize",
    "durable_objects",
    "env",
    "services",
    "secrets",
    "queues",
    "remote",
    "binding",
    "id",
    "bucket_name",
    "database_id",
    "preview_id",
    "index_name",
    "bindings",
    "staging",
    "production",
    "assets",
    "legacy_env",
    "unknown",
]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=8), st.sampled_from(KEYS))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=25,
)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)

VALID = """name = "app"
main = "src/entry.py"
compatibility_date = "2026-05-01"
[vars]
A = "1"
[[kv_namespaces]]
binding = "KV"
id = "kv"
[ai]
binding = "AI"
[env.staging]
[[env.staging.r2_buckets]]
binding = "R2"
bucket_name = "bkt"
remote = true
"""


def exercise(path, env):
    config, diags = load_config(path, env)
    assert all(d.level in ("error", "warning") and d.message for d in diags)
    if config is not None:
        convert_config_bindings_to_start_worker_bindings(config)
        render_table(table_rows(config))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(doc=documents, env=st.sampled_from([None, "staging", "production", "missing"]))
def test_random_json_configs(tmp_path, doc, env):
    path = tmp_path / "wrangler.json"
    path.write_text(json.dumps(doc, default=str))
    exercise(path, env)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(VALID)), st.integers(0, 6), st.text(alphabet='[]{}="\n.,#ab1 ', max_size=4)),
        min_size=1,
        max_size=4,
    ),
    env=st.sampled_from([None, "staging"]),
    name=st.sampled_from(["wrangler.toml", "wrangler.jsonc"]),
)
def test_mutated_configs(tmp_path, edits, env, name):
    text = VALID if name.endswith("toml") else json.dumps({"name": "app", "kv_namespaces": [{"binding": "KV"}]})
    for pos, cut, insert in edits:
        pos = min(pos, len(text))
        text = text[:pos] + insert + text[pos + cut :]
    path = tmp_path / name
    path.write_text(text)
    exercise(path, env)
