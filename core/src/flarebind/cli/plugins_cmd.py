"""``flarebind plugins``: what is installed, what each plugin provides, and what failed to load."""

from __future__ import annotations

import json

import click


@click.command("plugins")
@click.option("--all", "show_all", is_flag=True, help="Include the core's default plugins.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_command(show_all: bool, as_json: bool) -> None:
    """List installed binding plugins (types, config keys, adapters, commands) and plugins that failed to load."""
    from flarebind.plugins import get_plugins

    plugins = get_plugins()
    infos = [i for i in plugins.infos.values() if show_all or not i.default]
    if as_json:
        data = {
            "plugins": [
                {
                    "name": i.name,
                    "distribution": i.distribution,
                    "version": i.version,
                    "default": i.default,
                    "binding_types": i.binding_types,
                    "config_keys": i.config_keys,
                    "adapters": i.adapters,
                    "commands": i.commands,
                }
                for i in infos
            ],
            "errors": [{"name": e.name, "distribution": e.distribution, "error": e.error} for e in plugins.errors],
        }
        click.echo(json.dumps(data, indent=2))
    else:
        if not infos:
            click.echo("No plugins installed. Install binding plugins with `pip install flarebind-kv` (etc.).")
        for i in infos:
            where = f"{i.distribution} {i.version}" if i.distribution and i.version else (i.distribution or "")
            click.echo(f"{i.name}" + (f"  ({where})" if where else "") + ("  [default]" if i.default else ""))
            if i.binding_types:
                click.echo(f"    binding types: {', '.join(i.binding_types)}")
                click.echo(f"    config keys:   {', '.join(i.config_keys)}")
            if i.adapters:
                click.echo(f"    adapters:      {', '.join(i.adapters)}")
            if i.commands:
                click.echo(f"    commands:      {', '.join(f'flarebind {c}' for c in i.commands)}")
        for e in plugins.errors:
            click.echo(
                click.style(f"{e.name}  FAILED TO LOAD", fg="red") + (f"  ({e.distribution})" if e.distribution else "")
            )
            click.echo(f"    {e.error}")
    if plugins.errors:
        raise SystemExit(1)
