"""``flarebind explorer``: the local explorer (API and page) for a project folder, without a dev server."""

from __future__ import annotations

import click


@click.command("explorer")
@click.option(
    "-c", "--config", "config", type=click.Path(dir_okay=True), help="Path to the Wrangler configuration file."
)
@click.option("-e", "--env", "env", envvar="CLOUDFLARE_ENV", help="Environment whose bindings to show.")
@click.option("--port", default=8788, show_default=True, type=int, help="Port to listen on (on 127.0.0.1 only).")
@click.option(
    "--persist-to",
    "persist_to",
    type=click.Path(file_okay=False),
    help="Directory for local state (default: .wrangler/state next to the config).",
)
def explorer_command(config: str | None, env: str | None, port: int, persist_to: str | None) -> None:
    """Browse and edit the project's local KV, R2 and D1 data at http://127.0.0.1:PORT/cdn-cgi/explorer."""
    import asyncio

    asyncio.run(_serve(config, env, port, persist_to))


async def _serve(config: str | None, env: str | None, port: int, persist_to: str | None) -> None:
    import uvicorn

    from flarebind.explorer.asgi import standalone_app
    from flarebind.explorer.resources import Resources
    from flarebind.platform import platform_proxy
    from flarebind.runtime.devserver import bind_socket

    async with platform_proxy(config, env=env, persist_to=persist_to, local=True) as proxy:
        name = str(proxy.config.name or proxy.config.dir.name)
        resources = Resources(worker=name, specs=proxy.bindings, env=proxy.env)
        listener = bind_socket("127.0.0.1", port)  # loopback only, like the dev server
        server = uvicorn.Server(uvicorn.Config(standalone_app(resources), log_level="warning", lifespan="off"))
        click.echo(f"Explorer ready on http://127.0.0.1:{port}/cdn-cgi/explorer", err=False)
        await server.serve(sockets=[listener])
