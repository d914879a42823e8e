"""``flarebind check``: every diagnostic for a config at once; exit 1 on any error."""

from __future__ import annotations

import json

import click

from flarebind.cli.common import config_options


@click.command("check")
@config_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def check_command(config: str | None, env: str | None, persist_to: str | None, as_json: bool) -> None:
    """Validate the configuration (schema, environments, `remote` rules, production guard, plugin checks)."""
    from flarebind.cli.output import print_diagnostics, print_plugin_errors
    from flarebind.config.read import load_config
    from flarebind.plugins import get_plugins

    loaded, diagnostics = load_config(config, env)
    # the production guard refuses `dev`; here it is a warning, with the same text
    everything = diagnostics + (loaded.production_warnings if loaded is not None else [])
    failed = any(d.is_error for d in everything)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "config": str(loaded.path) if loaded else None,
                    "env": loaded.env_name if loaded else env,
                    "ok": not failed,
                    "diagnostics": [d.to_json() for d in everything],
                },
                indent=2,
            )
        )
    else:
        print_plugin_errors(get_plugins())
        if everything:
            print_diagnostics(everything, loaded.path if loaded else None)
        if not failed:
            n = len([d for d in everything if not d.is_error])
            where = loaded.path.name if loaded else "config"
            click.echo(f"✔ {where} is valid" + (f" ({n} warning{'s' if n != 1 else ''})" if n else "") + ".")
            from flarebind.runtime.assets.config import assets_only_note

            if loaded is not None and (note := assets_only_note(loaded)):
                click.echo(note)
    if failed:
        raise SystemExit(1)
