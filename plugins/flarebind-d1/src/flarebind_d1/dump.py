"""``flarebind d1 export``: the database as SQL, statement for statement what SQLite's ``.dump`` (and so wrangler's
local export) writes, read through the binding API so it works on a local or a remote binding alike."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from flarebind_d1.values import js_number


class ExportError(Exception):
    pass


def escape_id(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_string(value: str) -> str:
    """SQLite shell's quoting: '' for quotes, and newlines rebuilt with replace(…, '\\n', char(10))."""
    has_lf = "\n" in value
    has_cr = "\r" in value
    escaped = value.replace("'", "''").replace("\n", "\\n").replace("\r", "\\r")
    out = f"'{escaped}'"
    if has_cr:
        out = f"replace({out},'\\r',char(13))"
    if has_lf:
        out = f"replace({out},'\\n',char(10))"
    return out


def format_cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return js_number(value)  # D1's dump writes numbers as JavaScript prints them
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, (list, bytes, bytearray)):
        return "X'" + bytes(value).hex() + "'"
    raise ExportError(f"cannot export value {value!r}")


async def dump_sql(
    db: Any, *, no_schema: bool = False, no_data: bool = False, tables: list[str] | None = None
) -> AsyncIterator[str]:
    """Yield the statements of the export, one string each."""
    yield "PRAGMA defer_foreign_keys=TRUE;"
    wanted = set(tables or [])
    rows = await db.prepare(
        "SELECT name, type, sql FROM sqlite_schema AS o WHERE (true) AND type=='table' AND sql NOT NULL "
        "ORDER BY tbl_name='sqlite_sequence', rowid;"
    ).raw()
    for name, _type, sql in rows:
        if wanted and name not in wanted:
            continue
        if name == "sqlite_sequence":
            if not no_schema:
                yield "DELETE FROM sqlite_sequence;"
        elif re.match(r"^sqlite_stat.", name):
            if not no_schema:
                yield "ANALYZE sqlite_schema;"
        elif sql.startswith("CREATE VIRTUAL TABLE"):
            raise ExportError("D1 Export error: cannot export databases with Virtual Tables (fts5)")
        elif name.startswith(("_cf_", "sqlite_")):
            continue
        elif not no_schema:
            if re.match(r"CREATE TABLE ['\"]", sql):
                yield f"CREATE TABLE IF NOT EXISTS {sql[13:]};"
            else:
                yield f"{sql};"
        if no_data:
            continue
        columns = [c[1] for c in await db.prepare(f"PRAGMA table_info={escape_id(name)}").raw()]
        select = f"SELECT {', '.join(escape_id(c) for c in columns)} FROM {escape_id(name)};"
        for row in await db.prepare(select).raw():
            cells = ",".join(format_cell(v) for v in row)
            # wrangler 4.86 / Miniflare 4.20260426 write no column list (later releases add one)
            yield f"INSERT INTO {escape_id(name)} VALUES({cells});"
    if not no_schema:
        rest = await db.prepare(
            "SELECT name, sql FROM sqlite_schema AS o WHERE (true) AND sql NOT NULL "
            "AND type IN ('index', 'trigger', 'view') ORDER BY type COLLATE NOCASE"
        ).raw()
        for name, sql in rest:
            if wanted and name not in wanted:
                continue
            yield f"{sql};"
