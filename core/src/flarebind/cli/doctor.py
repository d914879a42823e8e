"""``flarebind doctor``: will this Worker run on Cloudflare? One report, a fix for each finding, exit 1 on errors."""

from __future__ import annotations

import json

import click


@click.command("doctor")
@click.option(
    "-c", "--config", "config", type=click.Path(dir_okay=True), help="Path to the Wrangler configuration file."
)
@click.option(
    "-e",
    "--env",
    "env",
    envvar="CLOUDFLARE_ENV",
    help="Environment to use for operations, and for selecting .env and .dev.vars files.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--plan",
    type=click.Choice(["free", "paid"]),
    default="free",
    show_default=True,
    help="The account's Workers plan (for the size limits).",
)
def doctor_command(config: str | None, env: str | None, as_json: bool, plan: str) -> None:
    """Check that the Worker will run on Cloudflare: dependencies, bundle size, CPython-only code, compat flags."""
    from flarebind.cli.common import ConfigProblem
    from flarebind.config.read import load_config
    from flarebind.doctor import project_from_config, run_doctor

    loaded, diagnostics = load_config(config, env)
    if loaded is None or any(d.is_error for d in diagnostics):
        raise ConfigProblem(diagnostics, loaded.path if loaded else None)
    findings = run_doctor(project_from_config(loaded, plan))
    errors = [f for f in findings if f.is_error]
    root = loaded.dir
    if as_json:
        click.echo(
            json.dumps(
                {
                    "config": str(loaded.path),
                    "env": loaded.env_name,
                    "plan": plan,
                    "ok": not errors,
                    "findings": [f.to_json(root) for f in findings],
                },
                indent=2,
            )
        )
    else:
        for f in findings:
            mark = "✘" if f.is_error else "▲"
            where = f.where(root)
            click.echo(f"{mark} [{f.level.upper()}] {f.check}: {f.message}" + (f" ({where})" if where else ""))
            click.echo(f"  fix: {f.fix}")
        if not findings:
            click.echo(f"✔ {loaded.path.name}: no problems found for Python Workers.")
        else:
            warnings = len(findings) - len(errors)
            click.echo(f"\n{len(errors)} error(s), {warnings} warning(s).")
    if errors:
        raise SystemExit(1)
