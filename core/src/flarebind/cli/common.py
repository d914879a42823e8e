"""What plugin commands share: the config options, ``--local/--remote``, wrangler's resource banner, the error class,
and a loaded project to find and build bindings. Plugins import these names from :mod:`flarebind.plugin`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import attrs
import click

from flarebind.config import Config, ConfigError
from flarebind.config.read import load_config

F = TypeVar("F", bound=Callable[..., Any])


def config_options(func: F) -> F:
    """Add ``-c/--config``, ``-e/--env`` and ``--persist-to`` (passed as ``config``, ``env``, ``persist_to``)."""
    func = click.option(
        "--persist-to",
        "persist_to",
        type=click.Path(file_okay=False),
        help="Directory for local state (default: .wrangler/state next to the config).",
    )(func)
    func = click.option(
        "-e",
        "--env",
        "env",
        envvar="CLOUDFLARE_ENV",
        help="Environment to use for operations, and for selecting .env and .dev.vars files.",
    )(func)
    func = click.option(
        "-c",
        "--config",
        "config",
        type=click.Path(dir_okay=True),
        help="Path to the Wrangler configuration file.",
    )(func)
    return func


def mode_options(func: F) -> F:
    """Add ``--local`` / ``--remote`` flags (passed as ``local``, ``remote``; local storage is the default)."""
    func = click.option("--remote", "remote", is_flag=True, default=False, help="Interact with remote storage.")(func)
    func = click.option(
        "--local", "local", is_flag=True, default=False, help="Interact with local storage (the default)."
    )(func)
    return func


REMOTE_BANNER = "Resource location: remote \n"
LOCAL_BANNER = "Resource location: local \n\nUse --remote if you want to access the remote instance.\n"


def resource_banner(remote: bool) -> None:
    """Print wrangler's resource-location banner (``Resource location: local`` plus the ``--remote`` hint)."""
    click.echo(REMOTE_BANNER if remote else LOCAL_BANNER)


class CommandError(click.ClickException):
    """An error printed the way wrangler prints one (``✘ [ERROR] …``), exit code 1. Subclass it per plugin."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        from flarebind.cli.output import error

        error(self.message)


def find_config(path: str | Path | None = None) -> Path | None:
    """The config a command would use: ``path`` if given (when it exists), else the nearest wrangler config."""
    from flarebind.config.locate import find_config_path

    return find_config_path(path)


def local_context(config: str | None, env: str | None, persist_to: str | None) -> Any:
    """A local context for a command: the project's (state beside its config) when a config is found, else one
    rooted at the working directory (``--persist-to`` wins either way). Dispose it when done."""
    if find_config(config) is not None:
        return load_project(config, env, persist_to).local_context(persist_to)
    if config:
        raise CommandError(f"Could not find a configuration file at {config}")
    from flarebind.bindings.context import LocalContext

    return LocalContext(persist_to=Path(persist_to).resolve() if persist_to else None)


class ConfigProblem(click.ClickException):
    """Exit 1 after the diagnostics were printed wrangler-style."""

    exit_code = 1

    def __init__(self, diagnostics: list[Any], file: Path | None) -> None:
        super().__init__("configuration has errors")
        self.diagnostics = diagnostics
        self.file = file

    def show(self, file: Any = None) -> None:
        from flarebind.cli.output import print_diagnostics

        print_diagnostics(self.diagnostics, self.file)


@attrs.define
class Project:
    """A config read for one environment, with helpers to build its bindings outside a Worker."""

    config: Config
    env: str | None
    persist_to: str | None = None
    bindings: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    _contexts: list[Any] = attrs.field(factory=list)
    _sessions: list[Any] = attrs.field(factory=list)
    _shared_context: Any = None

    def bindings_of_type(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {n: s for n, s in self.bindings.items() if s.get("type") == type_name}

    def spec(self, name: str, type_name: str | None = None) -> dict[str, Any]:
        spec = self.bindings.get(name)
        if spec is None or (type_name and spec.get("type") != type_name):
            names = ", ".join(self.bindings_of_type(type_name) if type_name else self.bindings) or "none"
            what = f"a {type_name} binding" if type_name else "a binding"
            raise click.UsageError(f'{self.config.path.name} has no {what} named "{name}" (available: {names}).')
        return spec

    def local_context(self, persist_to: str | None = None) -> Any:
        """A new :class:`LocalContext` for this project (state beside the config unless ``persist_to``), disposed
        by :meth:`aclose`."""
        from flarebind.platform import local_context_for

        ctx = local_context_for(self.config, persist_to=persist_to or self.persist_to)
        self._contexts.append(ctx)
        return ctx

    def local_binding(self, name: str, spec: dict[str, Any] | None = None) -> Any:
        """Build the local simulation of binding ``name`` (or of an explicit ``spec``). Bindings built by one
        project share one context, so two bindings of one resource share its store."""
        from flarebind.plugins import get_plugins

        spec = spec or self.spec(name)
        factory = get_plugins().registry.factory("local", spec["type"], name)
        if self._shared_context is None:
            self._shared_context = self.local_context()
        return factory(name, spec, self._shared_context)

    async def remote_binding(self, name: str, spec: dict[str, Any] | None = None) -> Any:
        """Build binding ``name`` through a remote proxy session (started here, disposed by :meth:`aclose`)."""
        from flarebind.platform import build_env, start_remote_for

        spec = dict(spec or self.spec(name))
        spec["remote"] = True
        specs = {name: spec}
        details = await start_remote_for(specs, self.config)
        if details is None:
            raise click.ClickException(f"binding {name} could not be routed remotely")
        self._sessions.append(details.session)
        ctx = self.local_context()
        return build_env(specs, ctx)[name]

    async def aclose(self) -> None:
        for ctx in self._contexts:
            await ctx.dispose()
        for session in self._sessions:
            await session.dispose()
        self._contexts.clear()
        self._sessions.clear()
        self._shared_context = None

    def close(self) -> None:
        """Synchronous cleanup for commands that never started an event loop."""
        import asyncio

        if self._contexts or self._sessions:
            asyncio.run(self.aclose())


def load_project(config: str | None, env: str | None, persist_to: str | None = None, *, quiet: bool = False) -> Project:
    """Read the config (printing warnings like wrangler unless ``quiet``); errors print and exit 1."""
    from flarebind.bindings.convert import convert_config_bindings_to_start_worker_bindings
    from flarebind.cli.output import print_diagnostics

    loaded, diagnostics = load_config(config, env)
    if loaded is None or any(d.is_error for d in diagnostics):
        raise ConfigProblem(diagnostics, loaded.path if loaded else None)
    if diagnostics and not quiet:
        print_diagnostics(diagnostics, loaded.path)
    return Project(loaded, loaded.env_name, persist_to, convert_config_bindings_to_start_worker_bindings(loaded))


def handle_config_error(func: F) -> F:
    """Turn a ConfigError raised inside a command into the wrangler-style printout and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            raise ConfigProblem(exc.diagnostics, exc.file) from None

    return wrapper  # type: ignore[return-value]
