"""``flarebind kv key put|get|delete|list`` and ``flarebind kv bulk put|get|delete``, shaped like wrangler's.

The commands are a thin layer: pick the namespace the way wrangler does (:func:`resolve_namespace`), build the KV
binding (local simulation by default, ``--remote`` through a remote session) and call its runtime API. Local state is
wrangler's, so ``wrangler kv key get --local`` sees what ``flarebind kv key put`` wrote, and the reverse.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import click
from flarebind.plugin import CommandError, config_options, mode_options

from flarebind_kv.bulkfile import BulkFileError, key_names, key_values

DEFAULT_NAME = "NAMESPACE"


class KVCommandError(CommandError):
    """An error printed wrangler-style (``✘ [ERROR] …``) with exit code 1."""


@attrs.define
class Target:
    namespace_id: str
    display: str
    binding: str | None = None


def resolve_namespace(
    entries: list[dict[str, Any]] | None, binding: str | None, namespace_id: str | None, preview: bool | None
) -> Target:
    """wrangler's namespace choice: ``--namespace-id`` as given, else the ``--binding`` entry's id / preview_id.

    ``entries`` are the config's ``kv_namespaces`` for the selected environment (``None`` without a config).
    ``preview`` is tri-state: ``None`` when neither ``--preview`` nor ``--no-preview`` was given.
    """
    if namespace_id:
        return Target(namespace_id, f'id: "{namespace_id}"')
    if entries is None:
        if binding:
            raise KVCommandError("--binding specified, but no config file was found.")
        raise KVCommandError(
            "Failed to find a config file.\n"
            "Either use --namespace-id to upload directly or create a configuration file with a binding."
        )
    if not entries:
        raise KVCommandError(
            "No KV Namespaces configured! Either use --namespace-id to upload directly or add a KV namespace to "
            "your wrangler config file."
        )
    entry = next((e for e in entries if e.get("binding") == binding), None)
    if entry is None:
        raise KVCommandError(
            f'A namespace with binding name "{binding}" was not found in the configured "kv_namespaces".'
        )

    def named(ns_id: str) -> Target:
        return Target(ns_id, f'binding: "{binding}" (id: "{ns_id}")', binding)

    if preview:
        if entry.get("preview_id"):
            return named(entry["preview_id"])
        raise KVCommandError(
            f"No preview ID found for {binding}. Add one to your wrangler config file to use a separate namespace "
            "for previewing your worker."
        )
    if preview is not None:
        if entry.get("id"):
            return named(entry["id"])
        raise KVCommandError(
            f"No namespace ID found for {binding}. Add one to your wrangler config file or pass it via "
            "`--namespace-id`."
        )
    ids = [entry.get("id"), entry.get("preview_id")]
    if bool(ids[0]) != bool(ids[1]):
        return named(str(ids[0] or ids[1]))
    if not any(ids):
        # wrangler's local development uses the binding name as the id of a namespace declared without one
        return named(str(binding))
    raise KVCommandError(
        f'{binding} has both a namespace ID and a preview ID. Specify "--preview" or "--no-preview" to avoid '
        "writing data to the wrong namespace."
    )


@attrs.define
class Options:
    binding: str | None
    namespace_id: str | None
    preview: bool | None
    local: bool
    remote: bool
    config: str | None
    env: str | None
    persist_to: str | None

    @property
    def is_remote(self) -> bool:
        return self.remote and not self.local


def target_options(preview_default: bool | None) -> Callable[[Any], Any]:
    """``--binding`` / ``--namespace-id`` / ``--preview`` / ``--local`` / ``--remote`` plus ``-c``, ``-e``,
    ``--persist-to``; the command receives them bundled as ``opts``."""

    def decorate(func: Any) -> Any:
        def wrapper(**kwargs: Any) -> Any:
            opts = Options(
                binding=kwargs.pop("binding"),
                namespace_id=kwargs.pop("namespace_id"),
                preview=kwargs.pop("preview"),
                local=kwargs.pop("local"),
                remote=kwargs.pop("remote"),
                config=kwargs.pop("config"),
                env=kwargs.pop("env"),
                persist_to=kwargs.pop("persist_to"),
            )
            if opts.local and opts.remote:
                raise click.UsageError("Arguments local and remote are mutually exclusive")
            if bool(opts.binding) == bool(opts.namespace_id):
                raise click.UsageError("Exactly one of the arguments binding and namespace-id is required")
            return func(opts=opts, **kwargs)

        wrapper.__name__ = func.__name__
        wrapper.__doc__ = func.__doc__
        wrapped: Any = mode_options(config_options(wrapper))
        wrapped = click.option(
            "--preview/--no-preview", default=preview_default, help="Interact with a preview namespace."
        )(wrapped)
        wrapped = click.option("--namespace-id", help="The id of the namespace.")(wrapped)
        wrapped = click.option("--binding", help="The binding name of the namespace (from the config file).")(wrapped)
        return wrapped

    return decorate


@asynccontextmanager
async def open_namespace(opts: Options) -> Any:
    """Yield ``(kv binding, Target)`` for the options; everything is closed on exit."""
    from flarebind.plugin import find_config, load_project

    project = None
    if opts.config is not None or find_config(None) is not None or opts.is_remote:
        project = load_project(opts.config, opts.env, opts.persist_to)
    entries = None
    if project is not None:
        entries = [b.entry for b in project.config.bindings if b.type.type == "kv_namespace"]
    target = resolve_namespace(entries, opts.binding, opts.namespace_id, opts.preview)
    name = target.binding or DEFAULT_NAME
    spec = {"type": "kv_namespace", "id": target.namespace_id}
    ctx = None
    try:
        if opts.is_remote:
            assert project is not None
            try:
                kv = await project.remote_binding(name, spec)
            except click.ClickException:
                raise
            except Exception as exc:  # the session layer's errors carry their own explanation
                raise KVCommandError(str(exc) or exc.__class__.__name__) from exc
        elif project is not None:
            kv = project.local_binding(name, spec)
        else:
            from flarebind.plugin import LocalContext

            from flarebind_kv.local import make_local

            ctx = LocalContext(
                persist_to=Path(opts.persist_to).resolve() if opts.persist_to else None, project_dir=Path.cwd()
            )
            kv = make_local(name, spec, ctx)
        yield kv, target
    finally:
        if project is not None:
            await project.aclose()
        if ctx is not None:
            await ctx.dispose()


def run(opts: Options, body: Callable[[Any, Target], Awaitable[None]], *, show_location: bool) -> None:
    """Open the namespace, print wrangler's resource-location banner where it does, run ``body``; errors exit 1."""
    from flarebind.plugin import FlarebindError, JsException, resource_banner

    async def main() -> None:
        async with open_namespace(opts) as (kv, target):
            if show_location:
                resource_banner(opts.is_remote)
            await body(kv, target)

    try:
        asyncio.run(main())
    except BulkFileError as exc:
        raise KVCommandError(str(exc)) from None
    except (JsException, TypeError, ValueError, FlarebindError, OSError) as exc:
        raise KVCommandError(str(exc)) from None


def _progress(total: int, label: str) -> Any:
    """A rich progress bar on stderr (only drawn on a terminal, so pipes and tests stay clean)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )
    task = progress.add_task(label, total=total)
    return progress, task


# -- commands ------------------------------------------------------------------------------------------------------


@click.group("kv")
def kv_group() -> None:
    """Manage Workers KV namespaces (local state shared with wrangler)."""


@kv_group.group("key")
def key_group() -> None:
    """Individually manage Workers KV key-value pairs."""


@kv_group.group("bulk")
def bulk_group() -> None:
    """Interact with multiple Workers KV key-value pairs at once."""


@key_group.command("put")
@click.argument("key")
@click.argument("value", required=False)
@click.option("--path", "path", type=click.Path(dir_okay=False), help="Read value from the file at a given path.")
@click.option("--ttl", type=float, help="Time for which the entries should be visible.")
@click.option("--expiration", type=float, help="Time since the UNIX epoch after which the entry expires.")
@click.option("--metadata", help="Arbitrary JSON that is associated with a key.")
@target_options(preview_default=None)
def key_put(
    opts: Options,
    key: str,
    value: str | None,
    path: str | None,
    ttl: float | None,
    expiration: float | None,
    metadata: str | None,
) -> None:
    """Write a single key/value pair to the given namespace."""
    if (value is None) == (path is None):
        raise click.UsageError("Exactly one of the arguments value and path is required")
    parsed_metadata = None
    if metadata is not None:
        try:
            parsed_metadata = json.loads(metadata)
        except json.JSONDecodeError:
            parsed_metadata = None  # wrangler drops metadata that is not JSON
    data: str | bytes = Path(path).read_bytes() if path is not None else str(value)

    async def body(kv: Any, target: Target) -> None:
        note = (
            f' with metadata "{json.dumps(parsed_metadata, separators=(",", ":"), ensure_ascii=False)}"'
            if parsed_metadata
            else ""
        )
        if path is not None:
            click.echo(f'Writing the contents of {path} to the key "{key}" on namespace {target.display}{note}.')
        else:
            click.echo(f'Writing the value "{value}" to key "{key}" on namespace {target.display}{note}.')
        await kv.put(key, data, expiration=_number(expiration), expirationTtl=_number(ttl), metadata=parsed_metadata)

    run(opts, body, show_location=True)


@key_group.command("get")
@click.argument("key")
@click.option("--text", is_flag=True, default=False, help="Decode the returned value as a utf8 string.")
@target_options(preview_default=False)
def key_get(opts: Options, key: str, text: bool) -> None:
    """Read a single value by key from the given namespace."""

    async def body(kv: Any, target: Target) -> None:
        value = await kv.get(key, "arrayBuffer")
        if value is None:
            click.echo("Value not found")
            return
        if text:
            click.echo(bytes(value).decode("utf-8", "replace"))
        else:
            sys.stdout.buffer.write(bytes(value))
            sys.stdout.buffer.flush()

    run(opts, body, show_location=False)


@key_group.command("delete")
@click.argument("key")
@target_options(preview_default=None)
def key_delete(opts: Options, key: str) -> None:
    """Remove a single key value pair from the given namespace."""

    async def body(kv: Any, target: Target) -> None:
        click.echo(f'Deleting the key "{key}" on namespace {target.display}.')
        await kv.delete(key)

    run(opts, body, show_location=True)


@key_group.command("list")
@click.option("--prefix", help="A prefix to filter listed keys.")
@target_options(preview_default=False)
def key_list(opts: Options, prefix: str | None) -> None:
    """Output a list of all keys in a given namespace (as JSON)."""

    async def body(kv: Any, target: Target) -> None:
        keys: list[Any] = []
        cursor = None
        while True:
            page = await kv.list(prefix=prefix, cursor=cursor)
            keys.extend(dict(k) for k in page["keys"])
            if page["list_complete"]:
                break
            cursor = page["cursor"]
        click.echo(json.dumps(keys, indent=2, ensure_ascii=False))

    run(opts, body, show_location=False)


@bulk_group.command("put")
@click.argument("filename", type=click.Path(dir_okay=False))
@target_options(preview_default=None)
def bulk_put(opts: Options, filename: str) -> None:
    """Upload multiple key-value pairs to a namespace (a JSON array of {key, value, ...})."""
    from flarebind.plugin import warning

    try:
        items, notes = key_values(filename)
    except BulkFileError as exc:
        for note in exc.warnings:
            warning(note)
        raise KVCommandError(str(exc)) from None
    for note in notes:
        warning(note)

    async def body(kv: Any, target: Target) -> None:
        progress, task = _progress(len(items), "Writing")
        with progress:
            for item in items:
                value: str | bytes = item["value"]
                if item.get("base64"):
                    # wrangler's local path decodes to a UTF-8 string; bytes keep binary values intact
                    value = base64.b64decode(item["value"])
                await kv.put(
                    item["key"],
                    value,
                    expiration=item.get("expiration"),
                    expirationTtl=item.get("expiration_ttl"),
                    metadata=item.get("metadata"),
                )
                progress.advance(task)
        click.echo("Success!")

    run(opts, body, show_location=True)


@bulk_group.command("get")
@click.argument("filename", type=click.Path(dir_okay=False))
@target_options(preview_default=False)
def bulk_get(opts: Options, filename: str) -> None:
    """Get multiple key-value pairs from a namespace (a JSON array of keys)."""
    try:
        names = key_names(filename)
    except BulkFileError as exc:
        raise KVCommandError(str(exc)) from None

    async def body(kv: Any, target: Target) -> None:
        out: dict[str, Any] = {}
        progress, task = _progress(len(names), "Reading")
        with progress:
            for name in names:
                out[name] = {"value": await kv.get(name, "text")}
                progress.advance(task)
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        click.echo("\nSuccess!")

    run(opts, body, show_location=False)


@bulk_group.command("delete")
@click.argument("filename", type=click.Path(dir_okay=False))
@click.option("-f", "--force", is_flag=True, default=False, help="Do not ask for confirmation before deleting.")
@target_options(preview_default=None)
def bulk_delete(opts: Options, filename: str, force: bool) -> None:
    """Delete multiple key-value pairs from a namespace (a JSON array of keys)."""

    async def body(kv: Any, target: Target) -> None:
        if not force:
            question = (
                f'Are you sure you want to delete all the keys read from "{filename}" from kv-namespace '
                f"{target.display}?"
            )
            if sys.stdin.isatty():
                if not click.confirm(question, default=True):
                    click.echo(f'Not deleting keys read from "{filename}".')
                    return
            else:
                click.echo(f"? {question}\n🤖 Using fallback value in non-interactive context: yes")
        names = key_names(filename)
        progress, task = _progress(len(names), "Deleting")
        with progress:
            for name in names:
                await kv.delete(name)
                progress.advance(task)
        click.echo("Success!")

    run(opts, body, show_location=True)


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value
