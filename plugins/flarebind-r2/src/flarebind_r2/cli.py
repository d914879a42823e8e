"""``flarebind r2 object put|get|delete <bucket>/<key>``: wrangler's commands, against the same local state.

Local by default (``--local``), as wrangler: the bucket comes from the object path, the state from ``--persist-to``
or ``.wrangler/state`` beside the config (or the current directory without one). ``--remote`` goes through the
project's remote proxy session. Transfers stream in chunks; large ones show a progress bar on a terminal.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, BinaryIO

import click
from flarebind.plugin import CommandError, config_options, mode_options

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
BUCKET_FORMAT = (
    "Bucket names must begin and end with an alphanumeric character, only contain lowercase letters, "
    "numbers, and hyphens, and be between 3 and 63 characters long."
)
PROGRESS_MIN_BYTES = 16 << 20
CHUNK = 1 << 20
CLI_BINDING = "R2_OBJECT_CLI"


def split_object_path(object_path: str) -> tuple[str, str]:
    match = re.match(r"^(?P<bucket>[^/]+)/(?P<key>.*)", object_path, re.DOTALL)
    if match is None:
        raise click.UsageError(f"The object path must be in the form of {{bucket}}/{{key}} you provided {object_path}")
    bucket, key = match["bucket"], match["key"]
    if not BUCKET_NAME.match(bucket):
        raise click.UsageError(f'The bucket name "{bucket}" is invalid. {BUCKET_FORMAT}')
    return bucket, key


def _mode_options(func: Any) -> Any:
    func = mode_options(func)
    func = click.option("-J", "--jurisdiction", help="The jurisdiction where the object lives.")(func)
    return config_options(func)


class _Target:
    """The bucket binding a command works on, and what to close afterwards."""

    def __init__(
        self,
        config: str | None,
        env: str | None,
        persist_to: str | None,
        bucket: str,
        jurisdiction: str | None,
        remote: bool,
    ) -> None:
        self.config, self.env, self.persist_to = config, env, persist_to
        self.bucket, self.jurisdiction, self.remote = bucket, jurisdiction, remote
        self._closers: list[Any] = []

    async def open(self) -> Any:
        spec: dict[str, Any] = {"type": "r2_bucket", "binding": CLI_BINDING, "bucket_name": self.bucket}
        if self.jurisdiction:
            spec["jurisdiction"] = self.jurisdiction
        if self.remote:
            from flarebind.plugin import load_project

            project = load_project(self.config, self.env, self.persist_to)
            self._closers.append(project.aclose)
            return await project.remote_binding(CLI_BINDING, spec)
        ctx = self._local_context()
        self._closers.append(ctx.dispose)
        from flarebind_r2.local import make_local

        return make_local(CLI_BINDING, spec, ctx)

    def _local_context(self) -> Any:
        from flarebind.plugin import local_context

        return local_context(self.config, self.env, self.persist_to)

    async def close(self) -> None:
        for closer in reversed(self._closers):
            await closer()


def _bucket_label(bucket: str, jurisdiction: str | None) -> str:
    return f"{bucket} ({jurisdiction})" if jurisdiction else bucket


def _progress(total: int | None, description: str) -> Any:
    if total is None or total < PROGRESS_MIN_BYTES or not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    progress.add_task(description, total=total)
    return progress


async def _file_chunks(file: BinaryIO, progress: Any) -> AsyncIterator[bytes]:
    while True:
        chunk = await asyncio.to_thread(file.read, CHUNK)
        if not chunk:
            return
        if progress is not None:
            progress.advance(progress.task_ids[0], len(chunk))
        yield chunk


def _run(coro: Any) -> Any:
    from flarebind.plugin import ConfigError, ConfigProblem, FlarebindError, JsException

    try:
        return asyncio.run(coro)
    except ConfigError as exc:
        raise ConfigProblem(exc.diagnostics, exc.file) from None
    except (JsException, FlarebindError) as exc:
        # binding errors carry the runtime's message; flarebind's own (credentials, sessions) say what to fix
        raise CommandError(str(exc)) from None


@click.group("r2")
def r2_group() -> None:
    """Manage R2 objects (local state shared with `wrangler r2 … --local`)."""


@r2_group.group("object")
def object_group() -> None:
    """Put, get and delete objects in an R2 bucket."""


@object_group.command("put")
@click.argument("object_path")
@click.option("-f", "--file", "file", type=click.Path(dir_okay=False), help="The path of the file to upload.")
@click.option("-p", "--pipe", is_flag=True, help="Read the object from stdin instead of --file.")
@click.option("--content-type", "--ct", "content_type", help="A standard MIME type describing the object data.")
@click.option("--content-disposition", "--cd", "content_disposition", help="Presentational information.")
@click.option("--content-encoding", "--ce", "content_encoding", help="Content encodings applied to the data.")
@click.option("--content-language", "--cl", "content_language", help="The language the content is in.")
@click.option("--cache-control", "--cc", "cache_control", help="Caching behaviour along the request/reply chain.")
@click.option("--expires", help="When the object stops being cacheable (ms since the epoch, or an HTTP/ISO date).")
@click.option(
    "-s", "--storage-class", "storage_class", help="The storage class of the object (Standard, InfrequentAccess)."
)
@_mode_options
def put_command(
    object_path: str,
    file: str | None,
    pipe: bool,
    content_type: str | None,
    content_disposition: str | None,
    content_encoding: str | None,
    content_language: str | None,
    cache_control: str | None,
    expires: str | None,
    storage_class: str | None,
    jurisdiction: str | None,
    local: bool,
    remote: bool,
    config: str | None,
    env: str | None,
    persist_to: str | None,
) -> None:
    """Create an object in an R2 bucket from --file or stdin (--pipe)."""
    if local and remote:
        raise click.UsageError("Arguments local and remote are mutually exclusive")
    if file and pipe:
        raise click.UsageError("Arguments file and pipe are mutually exclusive")
    if not file and not pipe:
        raise click.UsageError("Either the --file or --pipe options are required.")
    bucket, key = split_object_path(object_path)
    if file and not Path(file).is_file():
        raise CommandError(f'The file "{file}" does not exist.')
    http: dict[str, Any] = {}
    for name, value in (
        ("contentType", content_type),
        ("contentDisposition", content_disposition),
        ("contentEncoding", content_encoding),
        ("contentLanguage", content_language),
        ("cacheControl", cache_control),
    ):
        if value is not None:
            http[name] = value
    if expires is not None:
        from flarebind_r2.conditional import to_ms

        try:
            http["cacheExpiry"] = int(expires) if expires.isdigit() else to_ms(expires)
        except TypeError:
            raise click.BadParameter(
                f"{expires!r} is neither milliseconds since the epoch nor a date", param_hint="--expires"
            ) from None
    storage = f" with {storage_class} storage class" if storage_class else ""
    click.echo(f'Creating object "{key}"{storage} in bucket "{_bucket_label(bucket, jurisdiction)}".')

    async def upload() -> None:
        target = _Target(config, env, persist_to, bucket, jurisdiction, remote)
        try:
            binding = await target.open()
            options: dict[str, Any] = {"httpMetadata": http}
            if storage_class:
                options["storageClass"] = storage_class
            if file:
                size = Path(file).stat().st_size
                progress = _progress(size, f"Uploading {key}")
                with open(file, "rb") as handle:
                    if progress is not None:
                        with progress:
                            await binding.put(key, _file_chunks(handle, progress), **options)
                    else:
                        await binding.put(key, _file_chunks(handle, None), **options)
            else:
                await binding.put(key, _file_chunks(sys.stdin.buffer, None), **options)
        finally:
            await target.close()

    _run(upload())
    click.echo("Upload complete.")


@object_group.command("get")
@click.argument("object_path")
@click.option("-f", "--file", "file", type=click.Path(dir_okay=False), help="The destination file to create.")
@click.option("-p", "--pipe", is_flag=True, help="Write the object to stdout instead of a file.")
@_mode_options
def get_command(
    object_path: str,
    file: str | None,
    pipe: bool,
    jurisdiction: str | None,
    local: bool,
    remote: bool,
    config: str | None,
    env: str | None,
    persist_to: str | None,
) -> None:
    """Fetch an object from an R2 bucket into --file (default: a file named like the key) or stdout (--pipe)."""
    if local and remote:
        raise click.UsageError("Arguments local and remote are mutually exclusive")
    bucket, key = split_object_path(object_path)
    if not file and not pipe:
        file = key
    if not pipe:
        click.echo(f'Downloading "{key}" from "{_bucket_label(bucket, jurisdiction)}".')

    async def download() -> None:
        target = _Target(config, env, persist_to, bucket, jurisdiction, remote)
        try:
            binding = await target.open()
            obj = await binding.get(key)
            if obj is None:
                raise CommandError("The specified key does not exist.")
            progress = _progress(obj.size, f"Downloading {key}")
            if file:
                Path(file).parent.mkdir(parents=True, exist_ok=True)
                out: BinaryIO = open(file, "wb")  # noqa: SIM115 - closed below
            else:
                out = sys.stdout.buffer
            try:
                if progress is not None:
                    progress.start()
                async for chunk in obj.body:
                    await asyncio.to_thread(out.write, chunk) if len(chunk) >= CHUNK else out.write(chunk)
                    if progress is not None:
                        progress.advance(progress.task_ids[0], len(chunk))
                out.flush()
            finally:
                if progress is not None:
                    progress.stop()
                if file:
                    out.close()
        finally:
            await target.close()

    _run(download())
    if not pipe:
        click.echo("Download complete.")


@object_group.command("delete")
@click.argument("object_path")
@_mode_options
def delete_command(
    object_path: str,
    jurisdiction: str | None,
    local: bool,
    remote: bool,
    config: str | None,
    env: str | None,
    persist_to: str | None,
) -> None:
    """Delete an object from an R2 bucket."""
    if local and remote:
        raise click.UsageError("Arguments local and remote are mutually exclusive")
    bucket, key = split_object_path(object_path)
    click.echo(f'Deleting object "{key}" from bucket "{_bucket_label(bucket, jurisdiction)}".')

    async def delete() -> None:
        target = _Target(config, env, persist_to, bucket, jurisdiction, remote)
        try:
            binding = await target.open()
            await binding.delete(key)
        finally:
            await target.close()

    _run(delete())
    click.echo("Delete complete.")
