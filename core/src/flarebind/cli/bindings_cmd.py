"""``flarebind bindings``: the table ``flarebind dev`` prints, without starting anything."""

from __future__ import annotations

import json
import sys

import click

from flarebind.cli.common import config_options, handle_config_error, load_project


@click.command("bindings")
@config_options
@click.option("--local", is_flag=True, help="Show modes as with `flarebind dev --local` (no remote bindings).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_config_error
def bindings_command(config: str | None, env: str | None, persist_to: str | None, local: bool, as_json: bool) -> None:
    """Print the bindings the Worker gets, with their resource and mode."""
    from flarebind.bindings.table import render_table, table_rows
    from flarebind.cli.output import print_diagnostics, print_plugin_errors
    from flarebind.plugins import get_plugins

    if not as_json:
        print_plugin_errors(get_plugins())
    project = load_project(config, env, persist_to, quiet=as_json)
    rows = table_rows(project.config, local=local)
    if as_json:
        click.echo(json.dumps([{k: v for k, v in r.items() if k != "cell"} for r in rows], indent=2))
        return
    if not local and project.config.production_warnings:
        print_diagnostics(project.config.production_warnings, project.config.path)
    click.echo(render_table(rows, color=sys.stdout.isatty()))
    from flarebind.runtime.assets.config import assets_only_note

    if note := assets_only_note(project.config):
        click.echo(note)
