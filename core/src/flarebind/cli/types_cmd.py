"""``flarebind types``: write Python type stubs for ``env`` from the config (see :mod:`flarebind.typegen`)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("types")
@click.option(
    "-c", "--config", "config", type=click.Path(dir_okay=True), help="Path to the Wrangler configuration file."
)
@click.option(
    "-e",
    "--env",
    "env",
    envvar="CLOUDFLARE_ENV",
    help="Environment to use for operations, and for selecting .env and .dev.vars files.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    help="Folder for the stub package (default: typings/ next to the config, where pyright and Pylance look).",
)
def types_command(config: str | None, env: str | None, out: str | None) -> None:
    """Generate Python type stubs for `env` (module flarebind_env, class Env) from the config."""
    from flarebind.cli.common import ConfigProblem
    from flarebind.config.read import load_config
    from flarebind.typegen import DEFAULT_DIR, write_stub

    loaded, diagnostics = load_config(config, env)
    if loaded is None or any(d.is_error for d in diagnostics):
        raise ConfigProblem(diagnostics, loaded.path if loaded else None)
    out_dir = Path(out) if out else loaded.dir / DEFAULT_DIR
    target = write_stub(loaded, out_dir)
    click.echo(f"✔ wrote {target}")
    click.echo("  annotate your entrypoint with `env: Env` (from flarebind_env import Env) to type self.env")
