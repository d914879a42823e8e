"""The ``flarebind`` command line, built by a factory (no import-time side effects).

Core commands live in their own modules and are imported only when run; plugins add theirs through the
``register_commands`` hook.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

# name -> "module:attr"; imported on use so `flarebind dev` does not pay for `flarebind whoami`'s imports
CORE_COMMANDS = {
    "plugins": "flarebind.cli.plugins_cmd:plugins_command",
    "check": "flarebind.cli.check:check_command",
    "bindings": "flarebind.cli.bindings_cmd:bindings_command",
    "dev": "flarebind.cli.dev:dev_command",
    "whoami": "flarebind.cli.whoami:whoami_command",
    "remote": "flarebind.cli.remote_cmds:remote_group",
}


class FlarebindGroup(click.Group):
    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands:
            return self.commands[name]
        target = self.lazy.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        try:
            command = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            return _missing(name, f"{target} could not be loaded: {exc}")
        self.commands[name] = command
        return command  # type: ignore[no-any-return]


def _missing(name: str, why: str) -> click.Command:
    @click.command(name, help=f"(unavailable: {why})", context_settings={"ignore_unknown_options": True})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args: tuple[str, ...]) -> None:
        raise click.ClickException(f"`flarebind {name}` is not available in this installation: {why}")

    return command


def make_cli(plugins: Any = None) -> click.Group:
    """Build the CLI; ``plugins`` defaults to the process-wide plugin manager."""
    from flarebind import __version__

    @click.group(cls=FlarebindGroup, lazy=dict(CORE_COMMANDS), context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, "-v", "--version", prog_name="flarebind", message="%(prog)s %(version)s")
    def cli() -> None:
        """Local development for Cloudflare Workers written in Python."""

    from flarebind.plugins import get_plugins

    plugins = plugins or get_plugins()
    plugins.add_commands(cli)
    return cli


def main(argv: list[str] | None = None) -> Any:
    return make_cli().main(args=argv, prog_name="flarebind")
