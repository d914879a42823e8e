"""wrangler's D1 migrations: the folder, file naming and ordering, and the ``d1_migrations`` table.

A database migrated by ``wrangler d1 migrations apply`` and one migrated by ``flarebind d1 migrations apply`` are
indistinguishable: the same table (same DDL text), the same recorded names, the same SQL per migration (the file
followed by the INSERT that records it, applied as one transaction).
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from pathlib import Path
from typing import Any

import attrs

DEFAULT_DIR = "migrations"
DEFAULT_TABLE = "d1_migrations"


class MigrationsError(Exception):
    """A problem with the migrations configuration or folder, worded as wrangler words it."""


def escape_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_table_sql(table: str) -> str:
    # byte for byte wrangler's statement, so the schema reads the same whichever tool created the table
    return (
        f"CREATE TABLE IF NOT EXISTS {escape_identifier(table)}(\n"
        "\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "\t\tname       TEXT UNIQUE,\n"
        "\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n"
        ");"
    )


def list_applied_sql(table: str) -> str:
    return f"SELECT *\n\t\tFROM {escape_identifier(table)}\n\t\tORDER BY id"


def normalize_relative(path: str) -> str:
    normalized = posixpath.normpath(path.replace("\\", "/"))
    return normalized[:-1] if normalized.endswith("/") and len(normalized) > 1 else normalized


@attrs.define
class MigrationsConfig:
    """One D1 binding's migrations settings (``migrations_dir``, ``migrations_pattern``, ``migrations_table``)."""

    project_dir: Path
    config_file: str
    directory: str
    pattern: str
    table: str
    directory_raw: str | None

    @classmethod
    def from_entry(cls, entry: dict[str, Any], project_dir: Path, config_file: str) -> MigrationsConfig:
        raw_dir = entry.get("migrations_dir")
        raw_pattern = entry.get("migrations_pattern")
        if raw_pattern is not None and raw_dir is None:
            raise MigrationsError(
                f'You have set `migrations_pattern: "{raw_pattern}"` in your {config_file} file but have not set '
                "`migrations_dir` for this D1 binding.\n\n"
                "When `migrations_pattern` is set, `migrations_dir` must also be set, and `migrations_pattern` must "
                "start with `${migrations_dir}/`. Add a `migrations_dir` entry to your "
                f'{config_file} file (for example, `"migrations_dir": "migrations"`).'
            )
        directory = normalize_relative(raw_dir if raw_dir is not None else DEFAULT_DIR)
        default_pattern = normalize_relative(f"{directory}/*.sql")
        pattern = default_pattern if raw_pattern is None else normalize_relative(raw_pattern)
        if directory != "." and not pattern.startswith(directory + "/"):
            raise MigrationsError(
                f'The configured `migrations_pattern: "{raw_pattern}"` in your {config_file} file must start with '
                f'`{directory}/` to match `"migrations_dir": "{directory}"`.\n\n'
                f"Either change `migrations_pattern` so it starts with `{directory}/` (for example, "
                f'`"{default_pattern}"`), or change `migrations_dir` to match the start of your pattern.'
            )
        table = entry.get("migrations_table") or DEFAULT_TABLE
        return cls(project_dir, config_file, directory, pattern, table, raw_dir)

    @property
    def path(self) -> Path:
        return (self.project_dir / self.directory).resolve()

    @property
    def relative_pattern(self) -> str:
        return self.pattern if self.directory == "." else self.pattern[len(self.directory) + 1 :]

    def missing_folder_warning(self) -> str:
        hint = (
            ""
            if self.directory_raw is not None
            else (f" Set `migrations_dir` in your {self.config_file} file to choose a different path.")
        )
        return f"No migrations folder found.{hint}"


def glob_regex(pattern: str) -> re.Pattern[str]:
    """minimatch-style: ``*`` and ``?`` stay within a path segment, ``**`` spans segments; no dotfiles."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append(r"(?:[^/.][^/]*/)*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(r"(?:[^/.][^/]*(?:/[^/.][^/]*)*)?")
            i += 2
            continue
        if c == "*":
            out.append(r"[^/]*")
        elif c == "?":
            out.append(r"[^/]")
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def _leading_number(relative: str) -> float:
    head = relative.split("/")[0].split("_")[0]
    m = re.match(r"\s*[+-]?\d+", head)
    return float(int(m.group())) if m else float("nan")


def _sort_key(relative: str) -> list[tuple[int, float, str]]:
    key = []
    for segment in relative.split("/"):
        number = _leading_number(segment)
        numbered = number == number  # not NaN
        key.append((0 if numbered else 1, number if numbered else 0.0, segment))
    return key


def migration_names(config: MigrationsConfig) -> list[str]:
    """Files under the folder matching the pattern, relative to it, in wrangler's order (numeric prefix, then name)."""
    root = config.path
    if not root.is_dir():
        return []
    matcher = glob_regex(config.relative_pattern)
    names = []
    for path in root.rglob("*"):
        if path.is_file():
            relative = path.relative_to(root).as_posix()
            if not any(part.startswith(".") for part in relative.split("/")) and matcher.match(relative):
                names.append(relative)
    return sorted(names, key=_sort_key)


def next_number(config: MigrationsConfig) -> int:
    numbers = [int(n) for name in migration_names(config) if (n := _leading_number(name)) == n]
    return max([*numbers, 0]) + 1


def new_migration_name(config: MigrationsConfig, message: str) -> str:
    name = message.replace(" ", "_")
    if "/" in name or "\\" in name:
        raise MigrationsError(
            f'The migration name "{message}" contains a path separator ("/" or "\\"). Please remove this and try again.'
        )
    return f"{next_number(config):04d}_{name}.sql"


def migration_header(number: str, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    return f"-- Migration number: {number} \t {stamp}\n"


def migration_sql(config: MigrationsConfig, name: str) -> str:
    """The file's SQL followed by the statement recording it, exactly as wrangler sends it."""
    body = (config.path / name).read_text(encoding="utf-8")
    quoted = name.replace("'", "''")
    return f"{body}\nINSERT INTO {escape_identifier(config.table)} (name)\nvalues ('{quoted}');"
