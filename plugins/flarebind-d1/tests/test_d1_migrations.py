"""wrangler's migrations folder rules: names, order, patterns, the recording SQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flarebind_d1.migrations import (
    MigrationsConfig,
    MigrationsError,
    create_table_sql,
    migration_header,
    migration_names,
    migration_sql,
    new_migration_name,
)


def config(tmp_path: Path, **entry) -> MigrationsConfig:
    return MigrationsConfig.from_entry({"binding": "DB", **entry}, tmp_path, "wrangler.toml")


def test_numeric_order_then_name(tmp_path: Path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name in ("10_c.sql", "9_b.sql", "1_a.sql", "0002_x.sql", "init.sql", "notes.txt", ".hidden.sql"):
        (folder / name).write_text("SELECT 1;")
    cfg = config(tmp_path)
    assert migration_names(cfg) == ["1_a.sql", "0002_x.sql", "9_b.sql", "10_c.sql", "init.sql"]
    assert new_migration_name(cfg, "add users") == "0011_add_users.sql"


def test_custom_dir_and_drizzle_pattern(tmp_path: Path):
    (tmp_path / "db" / "0001_init").mkdir(parents=True)
    (tmp_path / "db" / "0001_init" / "migration.sql").write_text("SELECT 1;")
    (tmp_path / "db" / "0002_x.sql").write_text("SELECT 1;")
    cfg = config(tmp_path, migrations_dir="./db/", migrations_pattern="db/*/migration.sql")
    assert migration_names(cfg) == ["0001_init/migration.sql"]
    assert migration_names(config(tmp_path, migrations_dir="db")) == ["0002_x.sql"]


def test_pattern_rules(tmp_path: Path):
    with pytest.raises(MigrationsError, match="have not set `migrations_dir`"):
        config(tmp_path, migrations_pattern="m/*.sql")
    with pytest.raises(MigrationsError, match="must start with `db/`"):
        config(tmp_path, migrations_dir="db", migrations_pattern="other/*.sql")


def test_names_with_separators_are_refused(tmp_path: Path):
    with pytest.raises(MigrationsError, match="contains a path separator"):
        new_migration_name(config(tmp_path), "a/b")


def test_recording_sql_and_table_like_wrangler(tmp_path: Path):
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_it's.sql").write_text("CREATE TABLE a (x);")
    cfg = config(tmp_path, migrations_table="my migrations")
    assert migration_sql(cfg, "0001_it's.sql") == (
        "CREATE TABLE a (x);\nINSERT INTO \"my migrations\" (name)\nvalues ('0001_it''s.sql');"
    )
    assert create_table_sql("d1_migrations") == (
        'CREATE TABLE IF NOT EXISTS "d1_migrations"(\n\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        "\t\tname       TEXT UNIQUE,\n\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n);"
    )


def test_header():
    when = dt.datetime(2026, 11, 27, 0, 56, 33, 563000, tzinfo=dt.timezone.utc)
    assert migration_header("0001", when) == "-- Migration number: 0001 \t 2026-11-27T00:56:33.563Z\n"
