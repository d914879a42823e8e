"""``flarebind init [DIR] --template NAME``: a new Python Worker project (see :mod:`flarebind.scaffold.project`)."""

from __future__ import annotations

import click

from flarebind.scaffold.project import UNAVAILABLE, templates


@click.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--template", "-t", type=click.Choice([*templates(), *UNAVAILABLE]), default="hello", show_default=True)
@click.option("--name", help="The Worker's name (default: the directory's name).")
def init_command(directory: str, template: str, name: str | None) -> None:
    """Create a Python Worker project that runs with `flarebind dev` and has a pytest test."""
    from flarebind.scaffold import ScaffoldError
    from flarebind.scaffold.project import new_project

    try:
        root = new_project(directory, template, name)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"✔ created a {template} Worker in {root}")
    click.echo(f"  cd {root} && uv sync && uv run flarebind dev    # run it on http://127.0.0.1:8787")
    click.echo("  uv run pytest                                    # its test, with flarebind's pytest plugin")
    click.echo("  uv run pywrangler deploy                         # deploy it to Cloudflare")
