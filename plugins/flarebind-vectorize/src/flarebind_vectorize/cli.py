"""``flarebind vectorize …``: wrangler's vectorize commands, on the local index by default.

By default every command works on the local state folder (``<persist>/v3/vectorize``): index management on the
catalog, data commands (``insert``, ``upsert``, ``query``, ``get-vectors``, ``delete-vectors``, ``info``) through the
local binding. With ``--remote`` every command sends the request wrangler sends to Cloudflare's Vectorize v2 REST API
(:mod:`flarebind_vectorize.rest`). Messages are wrangler's (4.86) where wrangler prints one.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import click
from flarebind.plugin import config_options

from flarebind_vectorize import validation as v

WRANGLER_MAX_BATCH = 5000  # the HTTP API's batch limit, which wrangler enforces on --batch-size
WRANGLER_BATCH = 1000  # wrangler's default --batch-size
WRANGLER_MAX_RECORDS = 100_000  # wrangler stops a remote upload run past this many vectors
LIST_VECTORS_COUNT = 100  # local list-vectors page without --count (flarebind's choice: the API reference names none)
BINDING_BATCH = v.MAX_VECTORS_PER_CALL  # what one binding call takes


class VectorizeCommandError(click.ClickException):
    """An error printed wrangler-style (``✘ [ERROR] …``) with exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        from flarebind.plugin import error

        error(self.message)


def _warn(message: str) -> None:
    from flarebind.plugin import warning

    warning(message)


# -- where things are -----------------------------------------------------------------------------------------------


def _project(config: str | None, env: str | None, persist_to: str | None, *, need: bool) -> Any:
    from flarebind.plugin import find_config, load_project

    if need or config is not None or find_config(None) is not None:
        return load_project(config, env, persist_to)
    return None


@asynccontextmanager
async def _local_catalog(config: str | None, env: str | None, persist_to: str | None) -> Any:
    from flarebind.plugin import LocalContext

    from flarebind_vectorize.local import catalog_for

    project = _project(config, env, persist_to, need=False)
    if project is not None:
        ctx = project.local_context()
    else:
        ctx = LocalContext(persist_to=Path(persist_to).resolve() if persist_to else None, project_dir=Path.cwd())
    try:
        yield catalog_for(ctx), ctx
    finally:
        await ctx.dispose()
        if project is not None:
            await project.aclose()


@asynccontextmanager
async def _index_binding(name: str, config: str | None, env: str | None, persist_to: str | None) -> Any:
    """The local Vectorize binding for index ``name``."""
    from flarebind_vectorize.local import make_local

    v.check_index_name(name)
    async with _local_catalog(config, env, persist_to) as (_catalog, ctx):
        yield make_local("VECTORIZE", {"type": "vectorize", "index_name": name}, ctx)


def _run(body: Callable[[], Awaitable[None]]) -> None:
    from flarebind.plugin import FlarebindError, JsException

    try:
        asyncio.run(body())
    except (JsException, TypeError, ValueError, FlarebindError, OSError) as exc:
        raise VectorizeCommandError(str(exc)) from None


def _remote(work: Callable[[Any], Awaitable[None]]) -> None:
    """Run ``work(api)`` against Cloudflare's REST API (``--remote``), API errors printed wrangler-style."""
    from flarebind_vectorize.rest import VectorizeAPI

    async def body() -> None:
        async with await VectorizeAPI.open() as api:
            await work(api)

    _run(body)


def _on_index(
    is_remote: bool,
    remote: Callable[[Any], Awaitable[Any]],
    opened: Callable[[], Any],
    local: Callable[[Any], Any],
    then: Callable[[Any], None],
) -> None:
    """One command's call: ``remote(api)`` on Cloudflare's REST API with ``--remote``, else ``local(handle)`` (sync
    or async) on what the async context ``opened()`` yields (the index binding or the catalogue); ``then`` prints
    the result either way, once the local context is closed."""
    if is_remote:

        async def on_api(api: Any) -> None:
            then(await remote(api))

        _remote(on_api)
        return

    async def body() -> None:
        async with opened() as handle:
            result = local(handle)
            if inspect.isawaitable(result):
                result = await result
        then(result)

    _run(body)


@asynccontextmanager
async def _catalog(config: str | None, env: str | None, persist_to: str | None) -> Any:
    """The local catalogue of indexes alone (its context is disposed on exit)."""
    async with _local_catalog(config, env, persist_to) as (catalog, _ctx):
        yield catalog


def remote_options(func: Any) -> Any:
    func = click.option("--remote", is_flag=True, default=False, help="Use the index on Cloudflare.")(func)
    func = click.option("--local", is_flag=True, default=False, help="Use the local index (the default).")(func)
    return config_options(func)


def _is_remote(local: bool, remote: bool) -> bool:
    if local and remote:
        raise click.UsageError("Arguments local and remote are mutually exclusive")
    return remote


def table(rows: list[dict[str, Any]]) -> str:
    """A box-drawn table like wrangler's ``logger.table``."""
    headers = list(rows[0])
    cells = [[str(r.get(h) if r.get(h) is not None else "") for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]

    def line(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (w + 2) for w in widths) + right

    def row(values: list[str]) -> str:
        return "│" + "│".join(f" {val.ljust(w)} " for val, w in zip(values, widths, strict=True)) + "│"

    out = [line("┌", "┬", "┐"), row(headers), line("├", "┼", "┤")]
    out += [row(c) for c in cells]
    out.append(line("└", "┴", "┘"))
    return "\n".join(out)


def _extra(ctx: click.Context, first: tuple[str, ...]) -> list[str]:
    """wrangler's array options take several values after one flag (``--ids a b c``); click hands us the rest."""
    return [*first, *ctx.args]


# -- commands -------------------------------------------------------------------------------------------------------


@click.group("vectorize")
def vectorize_group() -> None:
    """Manage Vectorize indexes (a local exact index by default, --remote for Cloudflare's)."""


@vectorize_group.command("create")
@click.argument("name")
@click.option("--dimensions", type=int, help="The dimension size to configure this index for.")
@click.option("--metric", type=click.Choice(list(v.METRICS)), help="The distance metric to use for searching.")
@click.option("--preset", type=click.Choice(list(v.PRESETS)), help="An embeddings model preset (sets both).")
@click.option("--description", help="An optional description for this index.")
@click.option("--json", "as_json", is_flag=True, default=False, help="Return output as JSON")
@remote_options
def create(
    name: str,
    dimensions: int | None,
    metric: str | None,
    preset: str | None,
    description: str | None,
    as_json: bool,
    local: bool,
    remote: bool,
    config: str | None,
    env: str | None,
    persist_to: str | None,
) -> None:
    """Create a Vectorize index."""
    is_remote = _is_remote(local, remote)
    if preset:
        dimensions, metric = v.PRESETS[preset]
        if not as_json:
            click.echo(f"Configuring index based for the embedding model {preset}.")
    elif not (dimensions and metric):
        raise VectorizeCommandError(
            "🚨 You must provide both dimensions and a metric, or a known model preset when creating an index."
        )

    def created(result: dict[str, Any]) -> None:
        if as_json:
            click.echo(json.dumps(result, indent=2, ensure_ascii=False))
            return
        click.echo(f"✅ Successfully created a new Vectorize index: '{result['name']}'")
        click.echo(
            "To access your new Vectorize Index in your Worker, add the following snippet to your configuration file:"
        )
        click.echo(json.dumps({"vectorize": [{"binding": "VECTORIZE", "index_name": result["name"]}]}, indent=2))

    if is_remote:

        async def remote_create(api: Any) -> None:
            if not as_json:
                click.echo(f"🚧 Creating index: '{name}'")
            index_config = {"preset": preset} if preset else {"metric": metric, "dimensions": dimensions}
            created(await api.create(name, index_config, description))

        _remote(remote_create)
        return

    async def body() -> None:
        async with _local_catalog(config, env, persist_to) as (catalog, _ctx):
            if not as_json:
                click.echo(f"🚧 Creating index: '{name}'")
            created(_index_json(catalog.create(name, dimensions, metric, description)))

    _run(body)


def _index_json(info: dict[str, Any]) -> dict[str, Any]:
    return {
        "created_on": info["created_on"],
        "modified_on": info["modified_on"],
        "name": info["name"],
        "description": info["description"],
        "config": {"dimensions": info["dimensions"], "metric": info["metric"]},
    }


@vectorize_group.command("list")
@click.option("--json", "as_json", is_flag=True, default=False, help="Return output as JSON")
@remote_options
def list_indexes(
    as_json: bool, local: bool, remote: bool, config: str | None, env: str | None, persist_to: str | None
) -> None:
    """List your Vectorize indexes."""
    if not as_json:
        click.echo("📋 Listing Vectorize indexes...")

    def listed(indexes: list[dict[str, Any]]) -> None:
        if as_json:
            click.echo(json.dumps(indexes, indent=2, ensure_ascii=False))
            return
        if not indexes:
            _warn(
                "\nYou haven't created any indexes on this account.\nUse 'wrangler vectorize create <name>' to "
                "create one, or visit\nhttps://developers.cloudflare.com/vectorize/ to get started.\n\t\t\t"
            )
            return
        rows = [
            {k: r[k] for k in ("name", "dimensions", "metric", "created", "modified")} for r in map(_index_row, indexes)
        ]
        click.echo(table(rows))  # wrangler's list has no description column (get has one)

    _on_index(
        _is_remote(local, remote),
        lambda api: api.list(),
        lambda: _catalog(config, env, persist_to),
        lambda catalog: [_index_json(catalog.open(n).info()) for n in catalog.names()],
        listed,
    )


def _index_row(index: dict[str, Any]) -> dict[str, Any]:
    """A table row from an index as the API returns it (``{name, description, config: {dimensions, metric}, …}``)."""
    config = index.get("config") or {}
    return {
        "name": index.get("name"),
        "dimensions": str(config.get("dimensions")),
        "metric": config.get("metric"),
        "description": index.get("description") or "",
        "created": index.get("created_on"),
        "modified": index.get("modified_on"),
    }


@vectorize_group.command("get")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, default=False, help="Return output as JSON")
@remote_options
def get_index(
    name: str, as_json: bool, local: bool, remote: bool, config: str | None, env: str | None, persist_to: str | None
) -> None:
    """Get a Vectorize index by name."""

    def show(index: dict[str, Any]) -> None:
        if as_json:
            click.echo(json.dumps(index, indent=2, ensure_ascii=False))
        else:
            click.echo(table([_index_row(index)]))

    _on_index(
        _is_remote(local, remote),
        lambda api: api.get(name),
        lambda: _catalog(config, env, persist_to),
        lambda catalog: _index_json(catalog.open(name).info()),
        show,
    )


@vectorize_group.command("delete")
@click.argument("name")
@click.option("-y", "--force", is_flag=True, default=False, help="Skip confirmation")
@remote_options
def delete_index(
    name: str, force: bool, local: bool, remote: bool, config: str | None, env: str | None, persist_to: str | None
) -> None:
    """Delete a Vectorize index."""
    is_remote = _is_remote(local, remote)
    click.echo(f"Deleting Vectorize index {name}")
    if not force:
        question = f"OK to delete the index '{name}'?"
        if sys.stdin.isatty():
            if not click.confirm(question, default=True):
                click.echo("Deletion cancelled.")
                return
        else:
            click.echo(f"? {question}\n🤖 Using fallback value in non-interactive context: yes")

    if is_remote:

        async def remote_delete(api: Any) -> None:
            await api.delete(name)
            click.echo(f"✅ Deleted index {name}")

        _remote(remote_delete)
        return

    async def body() -> None:
        async with _local_catalog(config, env, persist_to) as (catalog, _ctx):
            catalog.delete(name)
            click.echo(f"✅ Deleted index {name}")

    _run(body)


@vectorize_group.command("info")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, default=False, help="return output as JSON")
@remote_options
def info(
    name: str, as_json: bool, local: bool, remote: bool, config: str | None, env: str | None, persist_to: str | None
) -> None:
    """Get additional details about the index."""
    is_remote = _is_remote(local, remote)

    if not as_json:
        click.echo("📋 Fetching index info...")

    async def describe(index: Any) -> Any:
        return dict(await index.describe())

    _on_index(
        is_remote,
        lambda api: api.info(name),
        lambda: _index_binding(name, config, env, persist_to),
        describe,
        lambda described: _info_table(described, as_json),
    )


def _info_table(described: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    row = {
        "dimensions": str(described["dimensions"]),
        "vectorCount": str(described["vectorCount"]),
        "processedUpToMutation": described.get("processedUpToMutation"),
        "processedUpToDatetime": described.get("processedUpToDatetime"),
    }
    click.echo(table([row]))


def read_ndjson(path: str) -> list[dict[str, Any]]:
    """Vector records, one JSON object a line; a bad line is reported with its line number."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    if not text.strip():
        raise VectorizeCommandError(f"🚨 Cannot read invalid or empty file: {path}.")
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise VectorizeCommandError(f"{path}:{number}: not a JSON object ({exc.msg}).") from None
        if not isinstance(record, dict) or "id" not in record or "values" not in record:
            raise VectorizeCommandError(f'{path}:{number}: a vector record needs "id" and "values".')
        records.append(record)
    return records


def _write_command(kind: str) -> Any:
    verb = {"insert": "insertion", "upsert": "upsertion"}[kind]

    @click.option(
        "--file", "file", required=True, help="A file containing line separated json (ndjson) vector objects."
    )
    @click.option("--batch-size", type=int, default=WRANGLER_BATCH, help="Vector records per batch.")
    @click.option("--json", "as_json", is_flag=True, default=False, help="return output as JSON")
    @remote_options
    @click.argument("name")
    def command(
        name: str,
        file: str,
        batch_size: int,
        as_json: bool,
        local: bool,
        remote: bool,
        config: str | None,
        env: str | None,
        persist_to: str | None,
    ) -> None:
        is_remote = _is_remote(local, remote)
        if batch_size > WRANGLER_MAX_BATCH:
            raise VectorizeCommandError(
                "🚨 The global rate limit for the Cloudflare API is 1200 requests per five minutes. Vectorize V2 "
                f"indexes currently limit upload batches to {WRANGLER_MAX_BATCH} records at a time to stay within "
                "the service limits."
            )
        records = read_ndjson(file)

        def enqueued(size: int, mutation: str) -> None:
            if not as_json:
                click.echo(
                    f"✨ Enqueued {size} vectors into index '{name}' for {verb}. Mutation changeset identifier: "
                    f"{mutation}"
                )

        def done(count: int) -> None:
            if as_json:
                click.echo(json.dumps({"index": name, "count": count}, indent=2))
            else:
                click.echo(f"✅ Successfully enqueued {count} vectors into index '{name}' for {verb}.")

        if is_remote:

            async def remote_write(api: Any) -> None:
                count = 0
                for start in range(0, len(records), batch_size):
                    batch = records[start : start + batch_size]
                    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in batch)
                    mutation = await api.write(kind, name, lines)
                    count += len(batch)
                    enqueued(len(batch), (mutation or {}).get("mutationId", ""))
                    if count > WRANGLER_MAX_RECORDS:
                        if not as_json:
                            _warn(
                                "🚧 While Vectorize is in beta, we've limited uploads to 100k vectors per run. You "
                                "may run this again with another batch to upload further"
                            )
                        break
                done(count)

            _remote(remote_write)
            return

        async def body() -> None:
            count = 0
            async with _index_binding(name, config, env, persist_to) as index:
                for start in range(0, len(records), batch_size):
                    batch = records[start : start + batch_size]
                    mutation = None
                    for sub in range(0, len(batch), BINDING_BATCH):  # the binding takes 1000 a call
                        mutation = await getattr(index, kind)(batch[sub : sub + BINDING_BATCH])
                    count += len(batch)
                    enqueued(len(batch), mutation["mutationId"] if mutation else "")
            done(count)

        _run(body)

    command.__doc__ = f"{kind.capitalize()} vectors into a Vectorize index."
    return command


vectorize_group.command("insert")(_write_command("insert"))
vectorize_group.command("upsert")(_write_command("upsert"))


@vectorize_group.command("query", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@click.option("--vector", "vector", multiple=True, help="Vector to query the Vectorize Index (--vector 1 2 3).")
@click.option("--vector-id", help="Identifier for a vector in the index against which the index should be queried")
@click.option("--top-k", type=int, default=v.DEFAULT_TOP_K, help="The number of results (nearest neighbors) to return")
@click.option("--return-values", is_flag=True, default=False, help="Include the vector values in the results")
@click.option("--return-metadata", type=click.Choice(list(v.RETURN_METADATA)), default="none")
@click.option("--namespace", help="Filter the query results based on this namespace")
@click.option("--filter", "filter_", help="Filter the query results based on this metadata filter (JSON).")
@remote_options
@click.pass_context
def query(
    ctx: click.Context,
    name: str,
    vector: tuple[str, ...],
    vector_id: str | None,
    top_k: int,
    return_values: bool,
    return_metadata: str,
    namespace: str | None,
    filter_: str | None,
    local: bool,
    remote: bool,
    config: str | None,
    env: str | None,
    persist_to: str | None,
) -> None:
    """Query a Vectorize index."""
    is_remote = _is_remote(local, remote)
    values: list[float] | None = None
    if vector:
        values = []
        for text in _extra(ctx, vector):
            try:
                values.append(float(text))
            except ValueError:
                continue  # wrangler drops what is not a number
    elif ctx.args:
        raise click.UsageError(f"unexpected arguments: {' '.join(ctx.args)}")
    options: dict[str, Any] = {"topK": top_k, "returnValues": return_values, "returnMetadata": return_metadata}
    if namespace:
        options["namespace"] = namespace
    if filter_:
        try:
            options["filter"] = json.loads(filter_)
        except json.JSONDecodeError:
            _warn("🚨 Invalid query filter. Please use the recommended format.")
    if (values is None) == (vector_id is None):
        raise VectorizeCommandError("🚨 Either vector or vector-id parameter must be provided, but not both.")

    click.echo("📋 Searching for relevant vectors...")

    def found(result: Any) -> None:
        if not result or result["count"] == 0:
            _warn("Could not find any relevant vectors")
            return
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))

    _on_index(
        is_remote,
        lambda api: api.query(name, options, values, vector_id),
        lambda: _index_binding(name, config, env, persist_to),
        lambda index: index.query(values, options) if values is not None else index.queryById(vector_id, options),
        found,
    )


@vectorize_group.command("get-vectors", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@click.option("--ids", multiple=True, required=True, help="Vector identifiers to fetch (--ids a b c).")
@remote_options
@click.pass_context
def get_vectors(
    ctx: click.Context,
    name: str,
    ids: tuple[str, ...],
    local: bool,
    remote: bool,
    config: str | None,
    env: str | None,
    persist_to: str | None,
) -> None:
    """Get vectors from a Vectorize index."""
    is_remote = _is_remote(local, remote)
    wanted = _extra(ctx, ids)

    if not wanted:
        raise VectorizeCommandError("🚨 Please provide valid vector identifiers.")
    click.echo("📋 Fetching vectors...")

    def fetched(vectors: Any) -> None:
        if not vectors:
            _warn("The index does not contain vectors corresponding to the provided identifiers")
            return
        click.echo(json.dumps(vectors, indent=2, ensure_ascii=False))

    _on_index(
        is_remote,
        lambda api: api.get_by_ids(name, wanted),
        lambda: _index_binding(name, config, env, persist_to),
        lambda index: index.getByIds(wanted),
        fetched,
    )


@vectorize_group.command("delete-vectors", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@click.option("--ids", multiple=True, required=True, help="Vector identifiers to delete (--ids a b c).")
@remote_options
@click.pass_context
def delete_vectors(
    ctx: click.Context,
    name: str,
    ids: tuple[str, ...],
    local: bool,
    remote: bool,
    config: str | None,
    env: str | None,
    persist_to: str | None,
) -> None:
    """Delete vectors in a Vectorize index."""
    is_remote = _is_remote(local, remote)
    wanted = _extra(ctx, ids)

    if not wanted:
        raise VectorizeCommandError("🚨 Please provide valid vector identifiers for deletion.")
    click.echo("📋 Deleting vectors...")

    def deleted(mutation: Any) -> None:
        click.echo(
            f"✅ Successfully enqueued {len(wanted)} vectors into index '{name}' for deletion. Mutation changeset "
            f"identifier: {mutation['mutationId']}."
        )

    _on_index(
        is_remote,
        lambda api: api.delete_by_ids(name, wanted),
        lambda: _index_binding(name, config, env, persist_to),
        lambda index: index.deleteByIds(wanted),
        deleted,
    )


@vectorize_group.command("list-vectors")
@click.argument("name")
@click.option("--count", type=click.IntRange(1, 1000), help="Maximum number of vectors to return (1-1000)")
@click.option("--cursor", help="Cursor for pagination to get the next page of results")
@click.option("--json", "as_json", is_flag=True, default=False, help="Return output as JSON")
@remote_options
def list_vectors(
    name: str,
    count: int | None,
    cursor: str | None,
    as_json: bool,
    local: bool,
    remote: bool,
    config: str | None,
    env: str | None,
    persist_to: str | None,
) -> None:
    """List vector identifiers in a Vectorize index."""
    is_remote = _is_remote(local, remote)
    if not as_json:
        click.echo(f"📋 Listing vectors in index '{name}'...")

    def page(result: dict[str, Any]) -> None:
        if as_json:
            click.echo(json.dumps(result, indent=2, ensure_ascii=False))
            return
        if not result["vectors"]:
            _warn("No vectors found in this index.")
            return
        click.echo(table([{"#": str(i), "Vector ID": x["id"]} for i, x in enumerate(result["vectors"], 1)]))
        click.echo(f"\nShowing {result['count']} of {result['totalCount']} total vectors")
        if result.get("isTruncated") and result.get("nextCursor"):
            click.echo("\n💡 To get the next page, run:")
            click.echo(f"   wrangler vectorize list-vectors {name} --cursor {result['nextCursor']}")

    _on_index(
        is_remote,
        lambda api: api.list_vectors(name, count, cursor),
        lambda: _catalog(config, env, persist_to),
        lambda catalog: catalog.open(v.check_index_name(name)).list_ids(count or LIST_VECTORS_COUNT, cursor),
        page,
    )


@vectorize_group.command("create-metadata-index")
@click.argument("name")
@click.option("--property-name", "--propertyName", "property_name", required=True, help="The property to index.")
@click.option("--type", "kind", required=True, type=click.Choice(list(v.METADATA_TYPES)), help="Its type.")
@remote_options
def create_metadata_index(
    name: str,
    property_name: str,
    kind: str,
    local: bool,
    remote: bool,
    config: str | None,
    env: str | None,
    persist_to: str | None,
) -> None:
    """Enable metadata filtering on the specified property."""
    is_remote = _is_remote(local, remote)
    click.echo("📋 Creating metadata index...")

    def enqueued(mutation: str) -> None:
        click.echo(
            f"✅ Successfully enqueued metadata index creation request. Mutation changeset identifier: {mutation}."
        )

    async def remote_create(api: Any) -> Any:
        return (await api.create_metadata_index(name, property_name, kind))["mutationId"]

    _on_index(
        is_remote,
        remote_create,
        lambda: _catalog(config, env, persist_to),
        lambda catalog: catalog.open(name).create_metadata_index(property_name, kind),
        enqueued,
    )


@vectorize_group.command("list-metadata-index")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, default=False, help="return output as JSON")
@remote_options
def list_metadata_index(
    name: str, as_json: bool, local: bool, remote: bool, config: str | None, env: str | None, persist_to: str | None
) -> None:
    """List metadata properties on which metadata filtering is enabled."""
    is_remote = _is_remote(local, remote)
    if not as_json:
        click.echo("📋 Fetching metadata indexes...")

    async def remote_list(api: Any) -> Any:
        return (await api.list_metadata_indexes(name)).get("metadataIndexes") or []

    def local_list(catalog: Any) -> Any:
        indexes = catalog.open(name).info()["metadataIndexes"]
        return [{"propertyName": p, "indexType": t} for p, t in sorted(indexes.items())]

    _on_index(
        is_remote,
        remote_list,
        lambda: _catalog(config, env, persist_to),
        local_list,
        lambda rows: _metadata_table(rows, as_json),
    )


def _metadata_table(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        _warn(
            "\nYou haven't created any metadata indexes on this account.\nUse 'wrangler vectorize "
            "create-metadata-index <name>' to create one, or visit\nhttps://developers.cloudflare.com/vectorize/"
            " to get started.\n\t\t"
        )
        return
    click.echo(table([{"propertyName": r["propertyName"], "type": r["indexType"]} for r in rows]))


@vectorize_group.command("delete-metadata-index")
@click.argument("name")
@click.option("--property-name", "--propertyName", "property_name", required=True, help="The property to un-index.")
@remote_options
def delete_metadata_index(
    name: str,
    property_name: str,
    local: bool,
    remote: bool,
    config: str | None,
    env: str | None,
    persist_to: str | None,
) -> None:
    """Delete metadata indexes."""
    is_remote = _is_remote(local, remote)
    click.echo("📋 Deleting metadata index...")

    def enqueued(mutation: str) -> None:
        click.echo(
            f"✅ Successfully enqueued metadata index deletion request. Mutation changeset identifier: {mutation}."
        )

    async def remote_delete(api: Any) -> Any:
        return (await api.delete_metadata_index(name, property_name))["mutationId"]

    _on_index(
        is_remote,
        remote_delete,
        lambda: _catalog(config, env, persist_to),
        lambda catalog: catalog.open(name).delete_metadata_index(property_name),
        enqueued,
    )
