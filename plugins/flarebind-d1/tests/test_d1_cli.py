"""``flarebind d1 …`` as real processes on real files."""

from __future__ import annotations

import json
from pathlib import Path

from d1_helpers import flarebind, ok


def json_tail(out: str):
    return json.loads(out[out.index("[") :])


def test_execute_command_prints_wranglers_lines_and_json(project: Path):
    out = ok(
        flarebind(
            project,
            "d1",
            "execute",
            "DB",
            "--persist-to",
            "state",
            "--command",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB); INSERT INTO t (b) VALUES (x'0102'); SELECT * FROM t",
        )
    )
    assert "🌀 Executing on local database DB (interop-id) from ./state/v3/d1:" in out
    assert "🚣 3 commands executed successfully." in out
    results = json_tail(out)
    assert [r["success"] for r in results] == [True, True, True]
    assert results[2]["results"] == [{"id": 1, "b": "[1, 2]"}]
    assert set(results[2]["meta"]) == {"duration"}


def test_execute_by_database_name_with_json_only(project: Path):
    ok(flarebind(project, "d1", "execute", "interop-db", "--persist-to", "state", "--command", "CREATE TABLE t (a)"))
    out = ok(
        flarebind(
            project,
            "d1",
            "execute",
            "interop-db",
            "--persist-to",
            "state",
            "--json",
            "--command",
            "SELECT count(*) AS n FROM t",
        )
    )
    assert json.loads(out) == [
        {"results": [{"n": 0}], "success": True, "meta": {"duration": json.loads(out)[0]["meta"]["duration"]}}
    ]


def test_execute_file(project: Path):
    (project / "seed.sql").write_text(
        "BEGIN TRANSACTION;\nCREATE TABLE notes (body TEXT);\n-- a comment; with a semicolon\n"
        "INSERT INTO notes VALUES ('a;b');\nCOMMIT;\n"
    )
    out = ok(flarebind(project, "d1", "execute", "DB", "--persist-to", "state", "--file", "seed.sql"))
    assert "🚣 2 commands executed successfully." in out
    out = ok(
        flarebind(
            project, "d1", "execute", "DB", "--persist-to", "state", "--json", "--command", "SELECT body FROM notes"
        )
    )
    assert json.loads(out)[0]["results"] == [{"body": "a;b"}]


def test_execute_errors(project: Path):
    proc = flarebind(project, "d1", "execute", "DB", "--persist-to", "state", "--command", "SELECT * FROM nope")
    assert proc.returncode == 1
    assert "✘ [ERROR] no such table: nope: SQLITE_ERROR" in proc.stderr
    proc = flarebind(project, "d1", "execute", "DB", "--persist-to", "state", "--json", "--command", "SELEC")
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {"error": {"text": 'near "SELEC": syntax error at offset 0: SQLITE_ERROR'}}
    proc = flarebind(project, "d1", "execute", "NOPE", "--command", "SELECT 1")
    assert proc.returncode == 1
    assert "Couldn't find a D1 DB with the name or binding 'NOPE' in your wrangler.toml file." in proc.stderr
    proc = flarebind(project, "d1", "execute", "DB")
    assert proc.returncode == 1
    assert "Missing required option --command or --file." in proc.stderr
    proc = flarebind(project, "d1", "execute", "DB", "--local", "--remote", "--command", "SELECT 1")
    assert proc.returncode == 1
    assert "can't use --local and --remote at the same time" in proc.stderr


def test_execute_refuses_a_binary_sqlite_file(project: Path):
    (project / "db.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    proc = flarebind(project, "d1", "execute", "DB", "--file", "db.sqlite")
    assert proc.returncode == 1
    assert "Provided file is a binary SQLite database file" in proc.stderr


def test_migrations_create_list_apply(project: Path):
    out = ok(flarebind(project, "d1", "migrations", "create", "DB", "create notes"))
    assert "✅ Successfully created Migration '0001_create_notes.sql'!" in out
    first = project / "migrations" / "0001_create_notes.sql"
    assert first.read_text().startswith("-- Migration number: 0001 \t ")
    first.write_text(first.read_text() + "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n")
    ok(flarebind(project, "d1", "migrations", "create", "DB", "seed"))
    (project / "migrations" / "0002_seed.sql").write_text("INSERT INTO notes (body) VALUES ('seeded');\n")

    out = ok(flarebind(project, "d1", "migrations", "list", "DB", "--persist-to", "state"))
    assert "Migrations to be applied:" in out
    assert "│ 0001_create_notes.sql │" in out and "│ 0002_seed.sql         │" in out

    out = ok(flarebind(project, "d1", "migrations", "apply", "DB", "--persist-to", "state"))
    assert out.count("✅") >= 2
    out = ok(flarebind(project, "d1", "migrations", "list", "DB", "--persist-to", "state"))
    assert "✅ No migrations to apply!" in out
    out = ok(
        flarebind(
            project,
            "d1",
            "execute",
            "DB",
            "--persist-to",
            "state",
            "--json",
            "--command",
            "SELECT name FROM d1_migrations ORDER BY id; SELECT body FROM notes",
        )
    )
    names, bodies = json.loads(out)
    assert names["results"] == [{"name": "0001_create_notes.sql"}, {"name": "0002_seed.sql"}]
    assert bodies["results"] == [{"body": "seeded"}]


def test_a_failing_migration_is_rolled_back_and_stops(project: Path):
    (project / "migrations").mkdir()
    (project / "migrations" / "0001_ok.sql").write_text("CREATE TABLE a (x);")
    (project / "migrations" / "0002_bad.sql").write_text("CREATE TABLE b (x);\nINSERT INTO nope VALUES (1);")
    (project / "migrations" / "0003_later.sql").write_text("CREATE TABLE c (x);")
    proc = flarebind(project, "d1", "migrations", "apply", "DB", "--persist-to", "state")
    assert proc.returncode == 1
    assert "Migration 0002_bad.sql failed with the following errors:" in proc.stderr
    assert "no such table: nope: SQLITE_ERROR" in proc.stderr
    out = ok(
        flarebind(
            project,
            "d1",
            "execute",
            "DB",
            "--persist-to",
            "state",
            "--json",
            "--command",
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        )
    )
    tables = [r["name"] for r in json.loads(out)[0]["results"]]
    assert "a" in tables and "b" not in tables and "c" not in tables


def test_migrations_without_a_folder(project: Path):
    proc = flarebind(project, "d1", "migrations", "list", "DB", "--persist-to", "state")
    assert proc.returncode == 1
    assert "No migrations folder found. Set `migrations_dir` in your wrangler.toml file" in proc.stderr
    assert f"No migrations present at {project / 'migrations'}." in proc.stderr


def test_export(project: Path):
    ok(
        flarebind(
            project,
            "d1",
            "execute",
            "DB",
            "--persist-to",
            "state",
            "--command",
            "CREATE TABLE \"Q\" (a BLOB, r REAL, s TEXT); INSERT INTO \"Q\" VALUES (x'00ff', 2.5, 'it''s\n2');"
            ' CREATE INDEX qi ON "Q"(s)',
        )
    )
    ok(flarebind(project, "d1", "export", "DB", "--persist-to", "state", "--output", "out.sql"))
    assert (project / "out.sql").read_text() == (
        "PRAGMA defer_foreign_keys=TRUE;\n"
        'CREATE TABLE IF NOT EXISTS "Q" (a BLOB, r REAL, s TEXT);\n'
        "INSERT INTO \"Q\" VALUES(X'00ff',2.5,replace('it''s\\n2','\\n',char(10)));\n"
        'CREATE INDEX qi ON "Q"(s);'
    )
    ok(flarebind(project, "d1", "export", "DB", "--persist-to", "state", "--output", "data.sql", "--no-schema"))
    assert "CREATE" not in (project / "data.sql").read_text()
