"""read_config / load_config: discovery, formats, environments, dev vars, and file:line:col diagnostics."""

from __future__ import annotations

import pytest
from flarebind import convert_config_bindings_to_start_worker_bindings, pick_remote_bindings, read_config
from flarebind.config import ConfigError, load_config
from flarebind.config.locate import find_config_path


def messages(diags, level=None):
    return [d.message for d in diags if level is None or d.level == level]


def test_reads_toml_and_converts_bindings_with_preview_ids(write_config):
    path = write_config(
        """
        name = "app"
        main = "src/entry.py"
        compatibility_date = "2026-05-01"
        [vars]
        GREETING = "hi"
        LIMITS = { max = 3 }
        [[kv_namespaces]]
        binding = "KV"
        id = "prod-kv"
        preview_id = "preview-kv"
        [[d1_databases]]
        binding = "DB"
        database_name = "notes"
        database_id = "db-id"
        remote = true
        """
    )
    config = read_config(path)
    assert config.name == "app" and config.main == "src/entry.py"
    specs = convert_config_bindings_to_start_worker_bindings(config)
    assert specs == {
        "GREETING": {"type": "plain_text", "value": "hi"},
        "LIMITS": {"type": "json", "value": {"max": 3}},
        "KV": {"type": "kv_namespace", "id": "preview-kv"},
        "DB": {"type": "d1", "database_name": "notes", "database_id": "db-id", "remote": True},
    }
    assert list(pick_remote_bindings(specs)) == ["DB"]
    real = convert_config_bindings_to_start_worker_bindings(config, use_preview_ids=False)
    assert real["KV"]["id"] == "prod-kv"


def test_jsonc_with_comments_and_trailing_commas(write_config):
    path = write_config(
        """
        {
          // a comment
          "name": "app",
          "kv_namespaces": [
            { "binding": "KV", "id": "kv-id", }, /* trailing comma above */
          ],
        }
        """,
        name="wrangler.jsonc",
    )
    config = read_config(path)
    assert config.format == "json"
    assert [b.name for b in config.bindings] == ["KV"]
    assert config.bindings[0].line == 5


def test_malformed_toml_reports_file_line_col(write_config):
    path = write_config('name = "exp-g\ncompatibility_date = "2026-05-01"\n')
    config, diags = load_config(path)
    assert config is None
    (d,) = diags
    assert d.is_error and d.message.startswith("Invalid TOML document: ")
    assert (d.file, d.line, d.col) == (path, 1, 14)
    assert d.location().endswith("wrangler.toml:1:14")


def test_malformed_jsonc_reports_file_line_col(write_config):
    path = write_config('{\n  "name": "app"\n  "main": "x.py"\n}\n', name="wrangler.jsonc")
    config, diags = load_config(path)
    assert config is None
    (d,) = diags
    assert d.message.startswith("Invalid JSON document: ")
    assert (d.line, d.col) == (3, 3)


def test_unknown_fields_warn_with_wrangler_text_and_line(write_config):
    path = write_config(
        """
        name = "app"
        foo = "bar"
        [unknown_table]
        x = 1
        [[kv_namespaces]]
        binding = "KV"
        bogus = 1
        """
    )
    config = read_config(path)
    warnings = config.warnings
    assert messages(warnings) == [
        'Unexpected fields found in top-level field: "foo","unknown_table"',
        'Unexpected fields found in kv_namespaces[0] field: "bogus"',
    ]
    assert [(w.line, w.path) for w in warnings] == [(2, "foo"), (7, "kv_namespaces[0].bogus")]


def test_environment_inheritance_name_and_missing_binding_warning(write_config):
    path = write_config(
        """
        name = "app"
        compatibility_date = "2026-05-01"
        main = "src/entry.py"
        [vars]
        A = "1"
        [[kv_namespaces]]
        binding = "KV"
        id = "kv"
        [env.staging]
        compatibility_date = "2026-04-01"
        [[env.staging.d1_databases]]
        binding = "DB"
        database_id = "db"
        """
    )
    config = read_config(path, env="staging")
    assert config.name == "app-staging"
    assert config.main == "src/entry.py"  # inheritable
    assert config.compatibility_date == "2026-04-01"  # env wins
    assert [b.name for b in config.bindings] == ["DB"]  # vars and KV not inherited
    assert messages(config.warnings) == [
        '"vars" exists at the top level, but not on "env.staging".\n'
        'This is not what you probably want, since "vars" is not inherited by environments.\n'
        'Please add "vars" to "env.staging".',
        '"kv_namespaces" exists at the top level, but not on "env.staging".\n'
        'This is not what you probably want, since "kv_namespaces" is not inherited by environments.\n'
        'Please add "kv_namespaces" to "env.staging".',
    ]
    assert all(w.env == "staging" for w in config.warnings)


def test_env_from_cloudflare_env_variable(write_config, monkeypatch):
    path = write_config('name = "app"\n[env.qa]\nname = "custom"\n')
    monkeypatch.setenv("CLOUDFLARE_ENV", "qa")
    assert read_config(path).name == "custom"


def test_unknown_environment_is_an_error_when_others_exist(write_config):
    path = write_config('name = "app"\n[env.staging]\n[env.production]\n')
    with pytest.raises(ConfigError) as info:
        read_config(path, env="qa")
    (d,) = info.value.diagnostics
    assert d.message.splitlines()[:3] == [
        'No environment found in configuration with name "qa".',
        "Before using `--env=qa` there should be an equivalent environment section in the configuration.",
        'The available configured environment names are: ["staging", "production"]',
    ]
    assert "Consider adding an environment configuration section to the wrangler.toml file:" in d.message


def test_unknown_environment_is_a_warning_when_none_exist(write_config):
    path = write_config('name = "app"\n[vars]\nA = "1"\n')
    config = read_config(path, env="qa")
    assert config.name == "app-qa"
    assert [b.name for b in config.bindings] == ["A"]  # the top level is reused, bindings included
    assert messages(config.warnings)[0].startswith('No environment found in configuration with name "qa".')
    assert "The available configured environment names are" not in messages(config.warnings)[0]


def test_dev_vars_env_file_preferred_and_secrets_hidden(write_config, tmp_path):
    path = write_config('name = "app"\n[vars]\nTOKEN = "from-vars"\n[env.staging]\n[env.staging.vars]\nTOKEN = "x"\n')
    (tmp_path / ".dev.vars").write_text("TOKEN=dev\nOTHER=1\n")
    (tmp_path / ".dev.vars.staging").write_text("TOKEN=staging-secret\n")
    (tmp_path / ".env").write_text("IGNORED=1\n")
    top = convert_config_bindings_to_start_worker_bindings(read_config(path))
    assert top["TOKEN"] == {"type": "secret_text", "value": "dev"}
    assert "IGNORED" not in top
    staging = convert_config_bindings_to_start_worker_bindings(read_config(path, env="staging"))
    assert staging["TOKEN"] == {"type": "secret_text", "value": "staging-secret"}
    assert "OTHER" not in staging


def test_dot_env_used_when_no_dev_vars(write_config, tmp_path):
    path = write_config('name = "app"\n')
    (tmp_path / ".env").write_text("API_KEY=abc\n")
    specs = convert_config_bindings_to_start_worker_bindings(read_config(path))
    assert specs["API_KEY"] == {"type": "secret_text", "value": "abc"}


def test_discovery_closest_directory_wins(write_config, tmp_path):
    write_config('{"name": "parent"}', name="wrangler.json")
    child = tmp_path / "app"
    write_config('name = "child"\n', directory=child)
    (child / "src").mkdir()
    assert find_config_path(start=child / "src") == child / "wrangler.toml"
    # inside one directory, json beats jsonc beats toml (wrangler's order)
    write_config('{"name": "child-jsonc"}', name="wrangler.jsonc", directory=child)
    assert read_config(start=child / "src").name == "child-jsonc"


def test_missing_config_is_a_clear_error(tmp_path):
    config, diags = load_config(start=tmp_path)
    assert config is None
    assert "wrangler.json, wrangler.jsonc or wrangler.toml was found in" in diags[0].message


def test_binding_field_types_checked_all_at_once(write_config):
    path = write_config(
        """
        compatibility_date = 20260501
        [[kv_namespaces]]
        id = "no-binding"
        [[r2_buckets]]
        binding = "R2"
        bucket_name = 42
        """
    )
    _, diags = load_config(path)
    assert messages(diags, "error") == [
        'Expected "compatibility_date" to be of type string but got 20260501.',
        '"kv_namespaces[0]" bindings should have a string "binding" field but got {"id":"no-binding"}.',
        '"r2_buckets[0]" bindings should, optionally, have a string "bucket_name" field but got '
        '{"binding":"R2","bucket_name":42}.',
    ]
    assert [d.line for d in diags if d.is_error] == [1, 2, 6]


def test_duplicate_binding_names_are_an_error(write_config):
    path = write_config('[vars]\nX = "1"\n[[kv_namespaces]]\nbinding = "X"\nid = "a"\n')
    _, diags = load_config(path)
    (err,) = [d for d in diags if d.is_error]
    assert err.message.startswith("Bindings must have unique names")
    assert '"X" assigned to Environment Variable and KV Namespace bindings.' in err.message
