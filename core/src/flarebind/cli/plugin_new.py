"""``flarebind plugin new NAME``: scaffold a binding-type plugin distribution."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("plugin")
def plugin_group() -> None:
    """Write flarebind plugins (see docs/writing-a-plugin.md)."""


@plugin_group.command("new")
@click.argument("name")
@click.option(
    "-d",
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to create the distribution's folder.",
)
def new_command(name: str, directory: Path) -> None:
    """Create flarebind-NAME: a binding type NAME (the config key) with local and remote adapters, a CLI group and
    tests that pass as generated."""
    from flarebind.scaffold import ScaffoldError, new_plugin

    try:
        root = new_plugin(name, directory)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {root}")
    click.echo(f"Next: cd {root} && pip install -e '.[test]' && pytest")
