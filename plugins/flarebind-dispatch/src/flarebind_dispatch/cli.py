"""``flarebind dispatch-namespace add-local | remove-local | list-local``: user Workers of a namespace, from folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flarebind.plugin import CommandError, config_options, find_config, local_context


def _state_dir(config: str | None, env: str | None, persist_to: str | None) -> Path:
    ctx = local_context(config, env, persist_to)
    from flarebind.plugin import default_state_dir

    return Path(ctx.persist_to) if ctx.persist_to else default_state_dir(ctx.project_dir)


@click.group("dispatch-namespace")
def dispatch_group() -> None:
    """Register user Workers of a dispatch namespace for local development."""


@dispatch_group.command("add-local")
@click.argument("namespace")
@click.argument("script")
@click.argument("path", type=click.Path(exists=True))
@config_options
def add_local(namespace: str, script: str, path: str, config: str | None, env: str | None, persist_to: Any) -> None:
    """Register the Worker at PATH (its folder or wrangler config) as SCRIPT in NAMESPACE."""
    from flarebind_dispatch.local import check_name, read_scripts, write_scripts

    try:
        check_name("dispatch namespace", namespace)
        check_name("script", script)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    target = find_config(Path(path).resolve())
    if target is None:
        raise CommandError(f"No wrangler configuration file found at {path}")
    state = _state_dir(config, env, persist_to)
    scripts = read_scripts(state, namespace)
    scripts[script] = str(Path(target).resolve())
    write_scripts(state, namespace, scripts)
    click.echo(f'Added "{script}" to dispatch namespace "{namespace}" (local): {target}')


@dispatch_group.command("remove-local")
@click.argument("namespace")
@click.argument("script")
@config_options
def remove_local(namespace: str, script: str, config: str | None, env: str | None, persist_to: Any) -> None:
    """Forget SCRIPT in NAMESPACE."""
    from flarebind_dispatch.local import read_scripts, write_scripts

    state = _state_dir(config, env, persist_to)
    try:
        scripts = read_scripts(state, namespace)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if scripts.pop(script, None) is None:
        raise CommandError(f'"{script}" is not in dispatch namespace "{namespace}" (local)')
    write_scripts(state, namespace, scripts)
    click.echo(f'Removed "{script}" from dispatch namespace "{namespace}" (local)')


@dispatch_group.command("list-local")
@click.argument("namespace")
@config_options
def list_local(namespace: str, config: str | None, env: str | None, persist_to: Any) -> None:
    """The user Workers registered in NAMESPACE."""
    from flarebind_dispatch.local import read_scripts

    try:
        scripts = read_scripts(_state_dir(config, env, persist_to), namespace)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    for script, target in scripts.items():
        click.echo(f"{script}\t{target}")
