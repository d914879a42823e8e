"""The ``flarebind`` command line, built by a factory (no import-time side effects).

Core commands live in their own modules and are imported only when run; plugins add theirs through the
``register_commands`` hook, preferably with ``cli.add_lazy_command(name, "module:attr", help=...)`` so that their
command modules load only when their command runs (start-up is an import budget, DESIGN §10).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

# name -> "module:attr"; imported on use so `flarebind dev` does not pay for `flarebind whoami`'s imports
CORE_COMMANDS = {
    "plugins": "flarebind.cli.plugins_cmd:plugins_command",
    "plugin": "flarebind.cli.plugin_new:plugin_group",
    "check": "flarebind.cli.check:check_command",
    "bindings": "flarebind.cli.bindings_cmd:bindings_command",
    "dev": "flarebind.cli.dev:dev_command",
    "whoami": "flarebind.cli.whoami:whoami_command",
    "remote": "flarebind.cli.remote_cmds:remote_group",
    "doctor": "flarebind.cli.doctor:doctor_command",
    "types": "flarebind.cli.types_cmd:types_command",
    "init": "flarebind.cli.init_cmd:init_command",
    "explorer": "flarebind.cli.explorer_cmd:explorer_command",
    "state": "flarebind.cli.state_cmd:state_group",
}


# "module:attr" naming a click command, or a zero-argument callable returning one
LazyTarget = str | Callable[[], click.Command]


class FlarebindGroup(click.Group):
    """A click group whose commands can be registered by name and loaded on first use.

    ``flarebind --help`` lists a lazy command with the short help it was registered with, without importing it.
    """

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, LazyTarget] = dict(lazy)
        self.lazy_help: dict[str, str] = {}

    def add_lazy_command(self, name: str, target: LazyTarget, *, help: str | None = None) -> None:
        """Register ``flarebind <name>`` without importing it: ``target`` is ``"module:attr"`` (a click command or
        group) or a zero-argument callable returning one, loaded when the command runs. ``help`` is the one-line
        summary ``flarebind --help`` shows (without it, ``--help`` loads the command to read its help)."""
        self.commands.pop(name, None)  # a later registration wins, as with add_command
        self.lazy[name] = target
        if help is None:
            self.lazy_help.pop(name, None)
        else:
            self.lazy_help[name] = help

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands:
            return self.commands[name]
        target = self.lazy.get(name)
        if target is None:
            return None
        try:
            command = _load(target)
        except (ImportError, AttributeError) as exc:
            return _missing(name, f"{_describe(target)} could not be loaded: {exc}")
        self.commands[name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # as click's, but a lazy command registered with a help text is listed without importing it
        entries: list[tuple[str, click.Command | str]] = []
        for name in self.list_commands(ctx):
            if name not in self.commands and name in self.lazy_help:
                entries.append((name, self.lazy_help[name]))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                entries.append((name, command))
        if not entries:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in entries)
        rows = [
            (name, click.utils.make_default_short_help(c, limit) if isinstance(c, str) else c.get_short_help_str(limit))
            for name, c in entries
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _load(target: LazyTarget) -> click.Command:
    if callable(target):
        return target()
    from flarebind.entry_points import resolve

    return resolve(target)  # type: ignore[no-any-return]


def _describe(target: LazyTarget) -> str:
    return target if isinstance(target, str) else getattr(target, "__qualname__", repr(target))


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
