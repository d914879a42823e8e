"""``flarebind dev``: run the Worker locally on http://127.0.0.1:8787 and reload it on changes."""

from __future__ import annotations

import sys
from typing import Any

import click


def _parse_vars(values: tuple[str, ...]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition(":")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY:VALUE", param_hint="--var")
        parsed[key] = value
    return parsed


@click.command("dev")
@click.option(
    "-c",
    "--config",
    "config",
    type=click.Path(dir_okay=True),
    multiple=True,
    help="Path to the Wrangler configuration file. Repeat it to run several Workers: the first is the primary "
    "(served over HTTP), the others are reachable through service bindings.",
)
@click.option(
    "-e",
    "--env",
    "env",
    envvar="CLOUDFLARE_ENV",
    help="Environment to use for operations, and for selecting .env and .dev.vars files.",
)
@click.option("--ip", default="127.0.0.1", show_default=True, help="IP address to listen on.")
@click.option("--port", default=8787, show_default=True, type=int, help="Port to listen on.")
@click.option("--local", is_flag=True, help="Run every binding locally (no remote bindings, no remote session).")
@click.option(
    "--persist-to",
    "persist_to",
    type=click.Path(file_okay=False),
    help="Directory for local state (default: .wrangler/state next to the config).",
)
@click.option(
    "--var",
    "var",
    multiple=True,
    metavar="KEY:VALUE",
    help="A key-value pair to inject as a variable into the Worker (repeatable).",
)
@click.option("--test-scheduled", is_flag=True, help="Expose /__scheduled to trigger the scheduled handler.")
@click.option("--inspect", is_flag=True, help="Drop into pdb when the Worker raises an uncaught exception.")
@click.option(
    "--debugpy",
    "debugpy_address",
    is_flag=False,
    flag_value="127.0.0.1:5678",
    default=None,
    metavar="[HOST:PORT]",
    help="Listen for a debugger (debugpy, the Debug Adapter Protocol) on HOST:PORT (default 127.0.0.1:5678).",
)
@click.option("--no-watch", "no_watch", is_flag=True, help="Do not reload on code or config changes.")
@click.option(
    "--record",
    "record",
    type=click.Path(dir_okay=False),
    help="Write every remote binding call and its answer to this cassette (secrets redacted).",
)
@click.option(
    "--replay",
    "replay",
    type=click.Path(dir_okay=False, exists=True),
    help="Answer remote binding calls from this cassette: no network, no credentials.",
)
@click.option(
    "--replay-order",
    "replay_order",
    type=click.Choice(["recorded", "any"]),
    default="recorded",
    show_default=True,
    help="With --replay: must calls come in the recorded order, or may any unused recorded call answer?",
)
@click.option(
    "--ai-provider",
    "ai_provider",
    metavar="URL",
    help="Run AI bindings without remote = true on this local model server (OpenAI-compatible, e.g. Ollama's "
    "http://127.0.0.1:11434) instead of Workers AI.",
)
@click.option(
    "--ai-max-calls",
    "ai_max_calls",
    type=click.IntRange(min=0),
    help="Refuse remote Workers AI calls beyond this many in this session (they are billed).",
)
@click.option(
    "--allow-production-remote",
    is_flag=True,
    help="Allow remote bindings that point at resources [env.production] also binds.",
)
@click.option(
    "--seed",
    "seed",
    type=click.Path(dir_okay=False, exists=True),
    help="Start from this state archive (`flarebind state export`): it replaces the local state first.",
)
@click.option(
    "--export-on-exit",
    "export_on_exit",
    type=click.Path(dir_okay=False),
    help="Write the local state to this archive when the server stops.",
)
def dev_command(
    config: tuple[str, ...],
    env: str | None,
    ip: str,
    port: int,
    local: bool,
    persist_to: str | None,
    var: tuple[str, ...],
    test_scheduled: bool,
    inspect: bool,
    debugpy_address: str | None,
    no_watch: bool,
    record: str | None,
    replay: str | None,
    replay_order: str,
    ai_provider: str | None,
    ai_max_calls: int | None,
    allow_production_remote: bool,
    seed: str | None = None,
    export_on_exit: str | None = None,
) -> None:
    """Start a local server for developing your Worker."""
    import os

    if record and replay:
        raise click.UsageError("--record and --replay are exclusive: give one cassette.")
    # the runtime (and a reloaded one) finds the cassette through the environment, as platform_proxy would
    if record:
        os.environ["FLAREBIND_RECORD"] = os.path.abspath(record)
    if replay:
        os.environ["FLAREBIND_REPLAY"] = os.path.abspath(replay)
        os.environ["FLAREBIND_REPLAY_ORDER"] = replay_order
    # plugin settings reach the AI plugin through its environment variables (also how a library user sets them);
    # the plugins are re-read so a provider lets AI bindings run locally
    if ai_provider is not None:
        os.environ["FLAREBIND_AI_PROVIDER"] = ai_provider
    if ai_max_calls is not None:
        os.environ["FLAREBIND_AI_MAX_CALLS"] = str(ai_max_calls)
    os.environ["FLAREBIND_AI_SUMMARY"] = "1"  # one line on exit when remote AI calls were made
    if ai_provider is not None:
        from flarebind.plugins import reset_plugins

        reset_plugins()
    from flarebind.cli.common import ConfigProblem
    from flarebind.cli.output import print_diagnostics, print_plugin_errors
    from flarebind.config.read import load_config
    from flarebind.plugins import get_plugins

    variables = _parse_vars(var)
    print_plugin_errors(get_plugins())
    # several -c: the first config is the primary Worker, the others run beside it (flarebind.runtime.services)
    workers = []
    for path in config or (None,):
        loaded, diagnostics = load_config(path, env)
        if loaded is None or any(d.is_error for d in diagnostics):
            raise ConfigProblem(diagnostics, loaded.path if loaded else None)
        refusal = loaded.production_refusal(local=local, allow=allow_production_remote)
        if refusal:
            raise ConfigProblem(refusal, loaded.path)
        if diagnostics:
            print_diagnostics(diagnostics, loaded.path)
        if not loaded.main and not loaded.flat.get("assets"):  # assets-only Workers need no main
            raise click.ClickException(
                f'{loaded.path.name} has no "main": set it to your Worker\'s entry module, e.g. main = "src/entry.py".'
            )
        workers.append(loaded)
    loaded, others = workers[0], workers[1:]

    def show_table(cfg: Any) -> None:
        from flarebind.bindings.table import render_table, table_rows

        click.echo(render_table(table_rows(cfg, local=local), color=sys.stdout.isatty()))
        from flarebind.runtime.assets.config import assets_only_note

        if note := assets_only_note(cfg):
            click.echo(note)
        click.echo()

    for cfg in workers:
        if others:
            click.echo(f"Worker {cfg.name or cfg.path}:")
        show_table(cfg)
    if debugpy_address is not None:
        from flarebind.debugging import listen

        listen(debugpy_address)
    explorer_url = f"http://{'127.0.0.1' if ip in ('0.0.0.0', '::') else ip}:{port}/cdn-cgi/explorer"
    click.echo(f"Local explorer: {explorer_url}")

    from flarebind.runtime.devserver import DevServer, run_dev_server

    if seed or export_on_exit:
        from flarebind.cli.state_cmd import seed_and_export

        state_files = seed_and_export(loaded, persist_to, seed, export_on_exit)
    else:
        state_files = None
    from flarebind.cli.hotkeys import start_hotkeys

    # --inspect hands the terminal to pdb: no key listener then
    restore_terminal = (lambda: None) if inspect else start_hotkeys(explorer_url)
    try:
        run_dev_server(
            DevServer(
                loaded,
                env=env,
                ip=ip,
                port=port,
                persist_to=persist_to,
                local=local,
                vars=variables,
                test_scheduled=test_scheduled,
                inspect=inspect,
                show_table=show_table,
                watch=not no_watch,
                allow_production_remote=allow_production_remote,
                others=others,
            )
        )
    finally:
        restore_terminal()
    if state_files is not None:
        state_files.close()
