"""``flarebind d1 execute | export | migrations create|list|apply``, shaped like wrangler's ``d1`` commands.

A thin layer over the binding: the database is found the way wrangler finds it (``database_name`` or ``binding``),
then the local simulation (default; wrangler's own files, so both tools see the same data) or, with ``--remote``,
the remote binding runs the SQL through the ordinary runtime API.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import attrs
import click
from flarebind.plugin import CommandError, config_options, default_state_dir, resource_banner

T = TypeVar("T")


class D1CommandError(CommandError):
    """Printed wrangler-style (``✘ [ERROR] …``), exit code 1."""


class JsonCommandError(click.ClickException):
    """With ``--json`` an error is a JSON object on stdout: ``{"error": {"text": …}}``."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(json.dumps({"error": {"text": self.message}}, indent=2))


@attrs.define
class Database:
    binding: str
    entry: dict[str, Any]
    spec: dict[str, Any]
    display_id: str


def find_database(project: Any, name: str) -> Database:
    """The ``d1_databases`` entry whose ``database_name`` or ``binding`` is ``name`` (wrangler's rule)."""
    for binding in project.config.bindings:
        if binding.type.type != "d1":
            continue
        entry = binding.entry
        if name in (entry.get("database_name"), entry.get("binding")):
            spec = project.bindings.get(binding.name) or {"type": "d1", **entry}
            display_id = entry.get("preview_database_id") or entry.get("database_id") or binding.name
            return Database(binding.name, entry, spec, display_id)
    raise D1CommandError(
        f"Couldn't find a D1 DB with the name or binding '{name}' in your {project.config.path.name} file."
    )


def load(config: str | None, env: str | None, persist_to: str | None) -> Any:
    from flarebind.plugin import load_project

    return load_project(config, env, persist_to)


async def with_binding(project: Any, db: Database, remote: bool, use: Callable[[Any], Awaitable[T]]) -> T:
    try:
        binding = (
            await project.remote_binding(db.binding, db.spec) if remote else project.local_binding(db.binding, db.spec)
        )
        return await use(binding)
    finally:
        await project.aclose()


def persistence_label(project: Any) -> str:
    """Where local D1 files live, relative to the working directory as wrangler prints it."""
    root = Path(project.persist_to).resolve() if project.persist_to else default_state_dir(project.config.dir)
    folder = root / "v3" / "d1"
    try:
        rel = folder.relative_to(Path.cwd())
    except ValueError:
        return str(folder)
    return rel.as_posix() if rel.parts and rel.parts[0] == ".wrangler" else f"./{rel.as_posix()}"


def resource_location(remote: bool) -> None:
    resource_banner(remote)


def check_location_flags(local: bool, remote: bool, persist_to: str | None) -> None:
    if local and remote:
        raise D1CommandError("Error: can't use --local and --remote at the same time")
    if persist_to and remote:
        raise D1CommandError(
            "Cannot use --persist-to without --local. The --persist-to flag specifies a local persistence "
            "directory, which requires the --local flag. Remove --persist-to or add --local."
        )


def cause_text(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)
    return str(getattr(cause, "message", None) or exc)


def location_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--remote", is_flag=True, help="Run against the remote database.")(func)
    func = click.option("--local", is_flag=True, help="Run against the local database (the default).")(func)
    return config_options(func)


@click.group("d1")
def d1_group() -> None:
    """Manage D1 databases (local state shared with wrangler)."""


# -- execute ---------------------------------------------------------------------------------------------------------


def cli_value(value: Any) -> Any:
    # wrangler prints BLOB cells as "[1, 2]"
    return f"[{', '.join(str(v) for v in value)}]" if isinstance(value, list) else value


async def execute_sql(binding: Any, sql: str) -> list[dict[str, Any]]:
    """Split like wrangler, run as one batch, and shape each result as ``{results, success, meta: {duration}}``."""
    from flarebind_d1.sqlsplit import split_sql

    queries = split_sql(sql)
    results = await binding.batch([binding.prepare(q) for q in queries])
    return [
        {
            "results": [{k: cli_value(v) for k, v in row.items()} for row in r["results"]],
            "success": r["success"],
            "meta": {"duration": r["meta"].get("duration")},
        }
        for r in results
    ]


@d1_group.command("execute")
@click.argument("database")
@click.option("--command", "command", help="The SQL query you wish to execute, or multiple queries separated by ';'")
@click.option("--file", "file", type=click.Path(dir_okay=False), help="A .sql file to ingest")
@click.option("--json", "as_json", is_flag=True, help="Return output as JSON")
@click.option("-y", "--yes", is_flag=True, help='Answer "yes" to any prompts')
@location_options
def execute_command(
    database: str,
    command: str | None,
    file: str | None,
    as_json: bool,
    yes: bool,
    local: bool,
    remote: bool,
    config: str | None,
    env: str | None,
    persist_to: str | None,
) -> None:
    """Execute a command or SQL file."""
    from flarebind_d1.sqlsplit import SplitError

    fail = JsonCommandError if as_json else D1CommandError
    if file and command:
        raise fail("Error: can't provide both --command and --file.")
    if not file and not command:
        raise fail(
            'Missing required option --command or --file. Provide a SQL command inline with --command="<SQL>", '
            "or a path to a SQL file with --file=<path>."
        )
    check_location_flags(local, remote, persist_to)
    if file:
        try:
            head = Path(file).read_bytes()[:15]
        except OSError:
            raise fail(f'Unable to read SQL text file "{file}". Please check the file path and try again.') from None
        if head == b"SQLite format 3":
            raise fail(
                "Provided file is a binary SQLite database file instead of an SQL text file. The execute command "
                "can only process SQL text files. Please export an SQL file from your SQLite database and try again."
            )
        sql = Path(file).read_text(encoding="utf-8")
    else:
        sql = command or ""
    project = load(config, env, persist_to)
    db = find_database(project, database)
    if not as_json:
        resource_location(remote)
        if remote:
            click.echo(f"🌀 Executing on remote database {database} ({db.display_id}):")
            click.echo(
                "🌀 To execute on your local development database, remove the --remote flag from your wrangler command."
            )
        else:
            where = persistence_label(project)
            click.echo(f"🌀 Executing on local database {database} ({db.display_id}) from {where}:")
            click.echo("🌀 To execute on your remote database, add a --remote flag to your wrangler command.")
    try:
        import asyncio  # loaded only when a command runs (start-up budget)

        results = asyncio.run(with_binding(project, db, remote, lambda b: execute_sql(b, sql)))
    except SplitError as exc:
        raise fail(str(exc)) from None
    except click.ClickException:
        raise
    except Exception as exc:
        raise fail(cause_text(exc)) from None
    if not as_json and all(r["success"] for r in results):
        n = len(results)
        click.echo(f"🚣 {n} command{'' if n == 1 else 's'} executed successfully.")
    if sys.stdout.isatty() and not as_json:
        from flarebind_d1.table import render_table

        for r in results:
            if r["results"]:
                click.echo(render_table([{k: str(v) for k, v in row.items()} for row in r["results"]]))
    else:
        click.echo(json.dumps(results, indent=2, ensure_ascii=False))


# -- export ----------------------------------------------------------------------------------------------------------


@d1_group.command("export")
@click.argument("database")
@click.option("--output", required=True, type=click.Path(), help="Path to the SQL file for your export")
@click.option("--table", "tables", multiple=True, help="Specify which tables to include in export")
@click.option("--no-schema", is_flag=True, help="Only output table contents, not the DB schema")
@click.option("--no-data", is_flag=True, help="Only output table schema, not the contents of the DBs themselves")
@click.option("-y", "--skip-confirmation", is_flag=True, help="Skip confirmation")
@location_options
def export_command(
    database: str,
    output: str,
    tables: tuple[str, ...],
    no_schema: bool,
    no_data: bool,
    skip_confirmation: bool,
    local: bool,
    remote: bool,
    config: str | None,
    env: str | None,
    persist_to: str | None,
) -> None:
    """Export the contents or schema of your database as a .sql file."""
    from flarebind_d1.dump import ExportError, dump_sql

    if no_schema and no_data:
        raise D1CommandError(
            "Cannot use --no-schema and --no-data together. At least one of schema or data must be included in the "
            "export. Remove one of the flags."
        )
    if Path(output).is_dir():
        raise D1CommandError("Please specify a file path for --output, not a directory.")
    check_location_flags(local, remote, persist_to)
    project = load(config, env, persist_to)
    db = find_database(project, database)
    resource_location(remote)
    where = "remote" if remote else "local"
    click.echo(
        f"🌀 Exporting {where} database {database} ({db.display_id})"
        + ("" if remote else f" from {persistence_label(project)}")
        + ":"
    )
    if not remote:
        click.echo("🌀 To export your remote database, add a --remote flag to your wrangler command.")
    click.echo(f"🌀 Exporting SQL to {output}...")

    async def collect(binding: Any) -> list[str]:
        return [s async for s in dump_sql(binding, no_schema=no_schema, no_data=no_data, tables=list(tables))]

    try:
        import asyncio  # loaded only when a command runs (start-up budget)

        statements = asyncio.run(with_binding(project, db, remote, collect))
    except ExportError as exc:
        raise D1CommandError(str(exc)) from None
    except click.ClickException:
        raise
    except Exception as exc:
        raise D1CommandError(cause_text(exc)) from None
    Path(output).write_text("\n".join(statements), encoding="utf-8")
    click.echo("Done!")


def register(cli: click.Group) -> None:
    from flarebind_d1.cli_migrations import migrations_group

    d1_group.add_command(migrations_group)
    cli.add_command(d1_group)
