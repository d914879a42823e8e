"""``flarebind state``: export / import a portable archive of every local resource, named snapshots, reset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

_config = click.option(
    "-c", "--config", "config", type=click.Path(dir_okay=True), help="Path to the Wrangler configuration file."
)
_persist = click.option(
    "--persist-to",
    "persist_to",
    type=click.Path(file_okay=False),
    help="Directory for local state (default: .wrangler/state next to the config).",
)


def _state(config: str | None, persist_to: str | None) -> Path:
    from flarebind.cli.common import ConfigProblem
    from flarebind.config.read import load_config
    from flarebind.state.folder import state_dir

    if persist_to:
        return Path(persist_to).resolve()
    loaded, diagnostics = load_config(config, None)
    if loaded is None or any(d.is_error for d in diagnostics):
        raise ConfigProblem(diagnostics, loaded.path if loaded else None)
    return state_dir(loaded, None)


def _run(action: Any, *args: Any) -> Any:
    from flarebind.state import StateError

    try:
        return action(*args)
    except StateError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("state")
def state_group() -> None:
    """Export, import, snapshot, restore and reset the project's local state (KV, R2, D1, Durable Objects, …)."""


@state_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@_config
@_persist
def export_command(file: str, config: str | None, persist_to: str | None) -> None:
    """Write every local resource to FILE (a .tar.gz of wrangler's v3 layout with a checksummed manifest)."""
    from flarebind.state.archive import export_state

    manifest = _run(export_state, _state(config, persist_to), Path(file).resolve())
    click.echo(f"Exported {len(manifest['files'])} file(s) of local state to {file}")


@state_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@_config
@_persist
def import_command(file: str, config: str | None, persist_to: str | None) -> None:
    """Replace the local state with the archive FILE (checked in full before anything is replaced)."""
    from flarebind.state.archive import import_state

    manifest = _run(import_state, _state(config, persist_to), Path(file).resolve())
    click.echo(f"Imported {len(manifest['files'])} file(s) of local state from {file}")


@state_group.command("snapshot")
@click.argument("name")
@_config
@_persist
def snapshot_command(name: str, config: str | None, persist_to: str | None) -> None:
    """Save the local state as snapshot NAME (kept in the state folder)."""
    from flarebind.state.folder import snapshot

    _run(snapshot, _state(config, persist_to), name)
    click.echo(f"Saved snapshot {name}")


@state_group.command("restore")
@click.argument("name")
@_config
@_persist
def restore_command(name: str, config: str | None, persist_to: str | None) -> None:
    """Replace the local state with snapshot NAME (a running `flarebind dev` sees it on its next request)."""
    from flarebind.state.folder import restore

    _run(restore, _state(config, persist_to), name)
    click.echo(f"Restored snapshot {name}")


@state_group.command("list")
@_config
@_persist
def list_command(config: str | None, persist_to: str | None) -> None:
    """List the saved snapshots."""
    from flarebind.state.folder import list_snapshots

    names = list_snapshots(_state(config, persist_to))
    click.echo("\n".join(names) if names else "No snapshots.")


@state_group.command("reset")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@_config
@_persist
def reset_command(yes: bool, config: str | None, persist_to: str | None) -> None:
    """Delete every local resource (snapshots are kept)."""
    from flarebind.state.folder import reset

    state = _state(config, persist_to)
    if not yes:
        click.confirm(f"Delete all local state in {state / 'v3'}?", abort=True)
    _run(reset, state)
    click.echo("Local state reset")


class _ExportOnExit:
    def __init__(self, state: Path, target: str | None) -> None:
        self.state = state
        self.target = target

    def close(self) -> None:
        if self.target:
            from flarebind.state.archive import export_state

            manifest = _run(export_state, self.state, Path(self.target).resolve())
            click.echo(f"Exported {len(manifest['files'])} file(s) of local state to {self.target}")


def seed_and_export(config: Any, persist_to: str | None, seed: str | None, export_on_exit: str | None) -> Any:
    """``flarebind dev --seed FILE --export-on-exit FILE``: import the seed now; ``close()`` exports when dev ends."""
    from flarebind.state.archive import import_state
    from flarebind.state.folder import state_dir

    state = state_dir(config, persist_to)
    if seed:
        manifest = _run(import_state, state, Path(seed).resolve())
        click.echo(f"Seeded local state from {seed} ({len(manifest['files'])} file(s))")
    return _ExportOnExit(state, export_on_exit)
