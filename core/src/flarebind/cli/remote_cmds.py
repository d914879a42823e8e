"""``flarebind remote …``: commands for remote bindings (the deployed proxy worker)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click


@click.group("remote")
def remote_group() -> None:
    """Remote bindings: the proxy worker that holds the real bindings."""


@remote_group.command("deploy-proxy")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Path to the Wrangler configuration file",
)
@click.option("-e", "--env", default=None, help="Environment whose remote bindings the proxy holds")
@click.option("--dry-run", is_flag=True, help="Write the proxy and its wrangler config to --outdir; contact nothing")
@click.option(
    "--outdir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where --dry-run writes proxy.js, wrangler.jsonc and the secret",
)
@click.option("--secret", default=None, help="The proxy secret (default: a new random one)")
@click.option("--name", default=None, help="The proxy worker's name (default: flarebind-proxy-<worker name>)")
def deploy_proxy_command(
    config_path: str | None, env: str | None, dry_run: bool, outdir: str | None, secret: str | None, name: str | None
) -> None:
    """Write or deploy a long-lived proxy worker holding this project's remote bindings.

    Sessions use it when FLAREBIND_REMOTE_PROXY_URL and FLAREBIND_REMOTE_PROXY_SECRET are set.
    """
    from flarebind.config import ConfigError
    from flarebind.remote import deploy_proxy as dp

    try:
        config, bindings = dp.select_proxy_bindings(config_path, env)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    warnings = [d for d in getattr(config, "diagnostics", []) if not getattr(d, "is_error", False)]
    if warnings:
        from flarebind.cli.output import print_diagnostics

        print_diagnostics(warnings, getattr(config, "path", None))
    if not bindings:
        raise click.ClickException(
            "This configuration has no remote bindings (set `remote = true` on a binding), "
            "so a proxy would hold nothing."
        )
    proxy_name = name or dp.default_proxy_name(config)
    try:
        if dry_run:
            if not outdir:
                raise click.UsageError("--dry-run needs --outdir DIR")
            written = dp.write_proxy(
                outdir, bindings, name=proxy_name, secret=secret, account_id=getattr(config, "account_id", None)
            )
            click.echo(
                f"Wrote the flarebind proxy worker {proxy_name!r} with {len(bindings)} binding(s) to {Path(outdir)}:"
            )
            click.echo(f"  {written.script_path.name}, {written.config_path.name}, .dev.vars, {dp.SECRET_FILE}")
            click.echo(
                f"The secret is in {written.outdir / dp.SECRET_FILE} (not printed). "
                "Run `wrangler deploy` there, "
                f"then set FLAREBIND_REMOTE_PROXY_URL and FLAREBIND_REMOTE_PROXY_SECRET."
            )
            return
        url, used_secret = asyncio.run(
            dp.deploy_proxy(bindings, name=proxy_name, secret=secret, account_id=getattr(config, "account_id", None))
        )
    except dp.DeployProxyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Deployed the flarebind proxy worker {proxy_name!r} with {len(bindings)} binding(s).")
    click.echo(f"FLAREBIND_REMOTE_PROXY_URL={url}")
    if secret is None:
        click.echo("The generated secret was stored as the worker's FLAREBIND_PROXY_SECRET; it is shown once:")
        click.echo(f"FLAREBIND_REMOTE_PROXY_SECRET={used_secret}")
