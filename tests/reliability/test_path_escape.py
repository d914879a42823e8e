"""A config (an untrusted clone) must never make flarebind write outside its state folder (issue 20, item 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flarebind.bindings.context import LocalContext
from flarebind.config import load_config
from flarebind.plugin import UnsafeResourceName

BIN = Path(sys.executable).parent

ESCAPES = ["../../x", "/abs/path", "..", ".", "a/../../b", "..\\..\\x", "x\x00y"]


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _config(key: str, field: str, value: str) -> str:
    return f'name = "probe"\n[[{key}]]\nbinding = "B"\n{field} = {_toml_string(value)}\n'


KINDS = [
    ("kv_namespaces", "id"),
    ("kv_namespaces", "preview_id"),
    ("r2_buckets", "bucket_name"),
    ("r2_buckets", "preview_bucket_name"),
    ("d1_databases", "database_id"),
    ("d1_databases", "preview_database_id"),
    # types simulated later (or by other plugins) are covered by the same generic rule on their resource fields
    ("vectorize", "index_name"),
    ("dispatch_namespaces", "namespace"),
]


@pytest.mark.parametrize(("key", "field"), KINDS)
@pytest.mark.parametrize("value", ESCAPES)
def test_config_rejects_resource_names_that_would_escape(tmp_path, key, field, value):
    (tmp_path / "wrangler.toml").write_text(_config(key, field, value))
    config, diagnostics = load_config(start=tmp_path)
    errors = [d for d in diagnostics if d.is_error]
    assert errors, f"{key}.{field}={value!r} passed validation"
    (error,) = errors
    assert error.path == f"{key}[0].{field}" and error.line == 4
    assert f"{key}[0].{field}" in error.message
    assert config is not None and not config.bindings


def test_r2_bucket_name_uses_wranglers_rule_and_text(tmp_path):
    (tmp_path / "wrangler.toml").write_text(_config("r2_buckets", "bucket_name", "/abs/path"))
    _, (error,) = load_config(start=tmp_path)
    assert error.message == (
        'r2_buckets[0].bucket_name="/abs/path" is invalid. Bucket names must begin and end with an alphanumeric '
        "character, only contain lowercase letters, numbers, and hyphens, and be between 3 and 63 characters long."
    )
    (tmp_path / "wrangler.toml").write_text(_config("r2_buckets", "bucket_name", ""))
    _, (error,) = load_config(start=tmp_path)
    assert (
        error.message
        == '"r2_buckets[0]" bindings should have a string "bucket_name" field but got {"binding":"B","bucket_name":""}.'
    )


def test_check_cli_exits_1_on_escape(tmp_path):
    (tmp_path / "wrangler.toml").write_text(_config("kv_namespaces", "id", "../../x"))
    proc = subprocess.run([str(BIN / "flarebind"), "check"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1
    assert 'kv_namespaces[0].id="../../x" cannot be used for local development' in proc.stderr
    assert "Traceback" not in proc.stderr


def _files_outside(root: Path, state: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and state not in p.parents]


@pytest.mark.parametrize("value", [*ESCAPES, "ABSOLUTE"])
def test_path_building_refuses_even_without_config_validation(tmp_path, value):
    """The second line of defence: the simulators refuse where the path is built (build_env with raw specs)."""
    from flarebind_kv.local import make_local as make_kv
    from flarebind_r2.local import make_local as make_r2

    state = tmp_path / "project" / ".wrangler" / "state"
    if value == "ABSOLUTE":
        value = str(tmp_path / "outside")  # an absolute name would replace the root in `root / name`
    ctx = LocalContext(persist_to=state, project_dir=tmp_path / "project")
    try:
        with pytest.raises(UnsafeResourceName, match="cannot be used for local state"):
            make_r2("B", {"type": "r2_bucket", "bucket_name": value}, ctx)
        with pytest.raises(UnsafeResourceName, match="cannot be used for local state"):
            make_kv("K", {"type": "kv_namespace", "id": value}, ctx)
    finally:
        for cleanup in reversed(ctx._cleanups):
            cleanup()
    assert _files_outside(tmp_path, state) == []
    assert not (tmp_path / "outside").exists()


def test_d1_ids_never_become_paths(tmp_path):
    """D1 names its file by a hash of the id: even an id that passed validation cannot leave the state folder."""
    from flarebind_d1.local import database_path

    state = tmp_path / "state"
    for value in ESCAPES:
        path = database_path(state, value)
        assert state in path.parents and os.sep not in path.name
