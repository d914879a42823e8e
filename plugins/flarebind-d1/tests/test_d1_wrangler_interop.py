"""The real wrangler CLI (npm, pinned) and flarebind on one local D1 database, in both directions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from d1_helpers import flarebind, ok
from flarebind.bindings.context import LocalContext
from flarebind.testing.wrangler import run_wrangler
from flarebind_d1.local import make_local

pytestmark = pytest.mark.wrangler

SPEC = {"type": "d1", "database_id": "interop-id"}


def wrangler(project: Path, *args: str, persist: bool = True) -> str:
    persist_to = project / "state" if persist else None
    return run_wrangler(["d1", *args, "--local"], project, persist_to=persist_to, text=True).stdout


def write_migrations(project: Path) -> None:
    folder = project / "migrations"
    folder.mkdir()
    (folder / "0001_notes.sql").write_text(
        "-- Migration number: 0001\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, data BLOB);\n"
    )
    (folder / "0002_seed.sql").write_text("INSERT INTO notes (body, data) VALUES ('from a migration', x'0a0b');\n")


async def test_migrations_applied_by_wrangler_are_applied_for_flarebind(project: Path):
    write_migrations(project)
    wrangler(project, "migrations", "apply", "DB")

    out = ok(flarebind(project, "d1", "migrations", "list", "DB", "--persist-to", "state"))
    assert "✅ No migrations to apply!" in out

    ctx = LocalContext(persist_to=project / "state")
    db = make_local("DB", SPEC, ctx)
    assert await db.prepare("SELECT body, data FROM notes").first() == {"body": "from a migration", "data": [10, 11]}
    applied = await db.prepare("SELECT name FROM d1_migrations ORDER BY id").raw()
    assert applied == [["0001_notes.sql"], ["0002_seed.sql"]]
    await ctx.dispose()

    # a migration added later is the only one flarebind applies
    (project / "migrations" / "0003_more.sql").write_text("INSERT INTO notes (body) VALUES ('third');\n")
    out = ok(flarebind(project, "d1", "migrations", "apply", "DB", "--persist-to", "state"))
    assert "0003_more.sql" in out and "0001_notes.sql" not in out
    assert "No migrations to apply!" in wrangler(project, "migrations", "list", "DB")


async def test_rows_written_by_flarebind_are_returned_by_wrangler_execute(project: Path):
    ctx = LocalContext(persist_to=project / "state")
    db = make_local("DB", SPEC, ctx)
    await db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, raw BLOB);")
    insert = db.prepare("INSERT INTO items (name, price, raw) VALUES (?, ?, ?)")
    await db.batch([insert.bind("héllo", 1.5, b"\x01\x02"), insert.bind("two", None, None)])
    await ctx.dispose()

    out = wrangler(project, "execute", "DB", "--json", "--command", "SELECT * FROM items ORDER BY id")
    assert json.loads(out)[0]["results"] == [
        {"id": 1, "name": "héllo", "price": 1.5, "raw": "[1, 2]"},
        {"id": 2, "name": "two", "price": None, "raw": None},
    ]
    # and wrangler's writes are seen by flarebind, through the same file
    wrangler(project, "execute", "DB", "--command", "INSERT INTO items (name) VALUES ('from wrangler')")
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
            "SELECT name FROM items WHERE id = 3",
        )
    )
    assert json.loads(out)[0]["results"] == [{"name": "from wrangler"}]


async def test_migrations_applied_by_flarebind_are_applied_for_wrangler(project: Path):
    write_migrations(project)
    ok(flarebind(project, "d1", "migrations", "apply", "DB", "--persist-to", "state"))
    assert "✅ No migrations to apply!" in wrangler(project, "migrations", "list", "DB")
    out = wrangler(project, "execute", "DB", "--json", "--command", "SELECT body FROM notes")
    assert json.loads(out)[0]["results"] == [{"body": "from a migration"}]


async def test_export_matches_wranglers_byte_for_byte(project: Path):
    write_migrations(project)
    ok(flarebind(project, "d1", "migrations", "apply", "DB"))
    ok(
        flarebind(
            project,
            "d1",
            "execute",
            "DB",
            "--command",
            "CREATE TABLE \"Odd\" (t TEXT, r REAL); INSERT INTO \"Odd\" VALUES ('a''b\nc', 2.0);"
            ' CREATE INDEX odd_t ON "Odd"(t)',
        )
    )
    ok(flarebind(project, "d1", "export", "DB", "--output", "ours.sql"))
    wrangler(project, "export", "DB", "--output", "theirs.sql", persist=False)
    assert (project / "ours.sql").read_text() == (project / "theirs.sql").read_text()
