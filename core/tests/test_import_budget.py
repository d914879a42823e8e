"""Start-up is an import budget (DESIGN §10): what `flarebind dev` on a local-only project must not import.

Each check runs in a fresh interpreter and inspects ``sys.modules``; behaviour, not timing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HELLO = REPO / "examples" / "hello"

# imported only by what a local-only `flarebind dev` does not do
NOT_ON_THE_DEV_PATH = [
    "httpx",  # remote bindings, remote proxy sessions
    "rich",  # progress bars of the kv / r2 commands
    "cattrs",
    "dotenv",  # only with a .dev.vars / .env file
    "json5",  # only for wrangler.json(c)
    "anyio._backends._asyncio",  # watchfiles.awatch's thread hop; the dev server waits on its own thread
    "flarebind.remote",
    "flarebind_kv.cli",
    "flarebind_r2.cli",
    "flarebind_d1.cli",
]


def run_python(code: str, cwd: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def loaded(names: list[str]) -> str:
    return f"print(json.dumps({{n: n in sys.modules for n in {names!r}}}))"


def test_building_the_cli_imports_no_plugin_command_module(tmp_path: Path) -> None:
    result = run_python(
        """
        import json, sys
        import click
        from flarebind.cli import make_cli

        cli = make_cli()
        ctx = click.Context(cli)
        listed = cli.list_commands(ctx)
        before = {n: n in sys.modules for n in ("flarebind_kv.cli", "flarebind_r2.cli", "flarebind_d1.cli")}
        help_text = cli.get_help(ctx)
        after_help = {n: n in sys.modules for n in ("flarebind_kv.cli", "flarebind_r2.cli", "flarebind_d1.cli")}
        d1 = cli.get_command(ctx, "d1")  # run, it loads
        print(json.dumps({
            "listed": listed, "before": before, "after_help": after_help, "help": help_text,
            "d1_loaded": "flarebind_d1.cli" in sys.modules, "d1_subcommands": sorted(d1.commands),
            "httpx": "httpx" in sys.modules,
        }))
        """,
        tmp_path,
    )
    assert {"kv", "r2", "d1", "dev"} <= set(result["listed"])
    assert not any(result["before"].values()), result["before"]
    assert not any(result["after_help"].values()), result["after_help"]
    assert "Manage Workers KV namespaces" in result["help"] and "Manage D1 databases" in result["help"]
    assert result["d1_loaded"] and "migrations" in result["d1_subcommands"] and "execute" in result["d1_subcommands"]
    assert not result["httpx"]


def test_local_only_hello_serves_without_remote_or_cli_modules(tmp_path: Path) -> None:
    project = tmp_path / "hello"
    shutil.copytree(HELLO, project, ignore=shutil.ignore_patterns(".wrangler", "__pycache__", ".venv*"))
    result = run_python(
        f"""
        import asyncio, json, sys
        from flarebind.config.read import read_config
        from flarebind.runtime.runtime import Runtime, runtime_options_for

        async def main():
            config = read_config("wrangler.toml")
            runtime = Runtime(**runtime_options_for(config, persist_to={str(tmp_path / "state")!r}))
            try:
                await runtime.ready
                response = await runtime.dispatch_fetch("http://localhost/")
                return response.status, await response.text()
            finally:
                await runtime.dispose()

        status, body = asyncio.run(main())
        modules = {{n: n in sys.modules for n in {NOT_ON_THE_DEV_PATH!r}}}
        print(json.dumps({{"status": status, "body": body, "modules": modules}}))
        """,
        project,
    )
    assert result["status"] == 200 and "visitor number 1" in result["body"]
    imported = [name for name, present in result["modules"].items() if present]
    assert imported == [], f"imported on a local-only dev path: {imported}"


def test_dev_vars_file_still_loads_dotenv(tmp_path: Path) -> None:
    # the other side of the lazy import: a project with .dev.vars gets its secrets
    (tmp_path / "wrangler.toml").write_text('name = "w"\nmain = "entry.py"\ncompatibility_date = "2026-05-01"\n')
    (tmp_path / ".dev.vars").write_text('API_KEY="s3cret"\n')
    result = run_python(
        """
        import json, sys
        from flarebind.config.read import read_config

        config = read_config("wrangler.toml")
        print(json.dumps({"dev_vars": config.dev_vars, "dotenv": "dotenv" in sys.modules}))
        """,
        tmp_path,
    )
    assert result == {"dev_vars": {"API_KEY": "s3cret"}, "dotenv": True}


def test_file_watcher_reports_edits_without_anyio(tmp_path: Path) -> None:
    result = run_python(
        f"""
        import asyncio, json, sys
        from pathlib import Path
        from flarebind.runtime.watch import FileWatcher

        root = Path({str(tmp_path)!r})

        async def main():
            stop = asyncio.Event()
            watcher = FileWatcher(root, watch_filter=lambda change, path: path.endswith(".py"), step_ms=20)
            # the watches are in place once the constructor returns: these edits must be seen
            (root / "ignored.txt").write_text("x")
            (root / "entry.py").write_text("x = 1")
            seen = []
            async def consume():
                async for changes in watcher.changes(stop):
                    seen.extend(sorted(Path(p).name for _, p in changes))
                    stop.set()
            await asyncio.wait_for(consume(), 60)  # a hang guard only
            return seen

        seen = asyncio.run(main())
        print(json.dumps({{"seen": seen, "anyio_backend": "anyio._backends._asyncio" in sys.modules}}))
        """,
        tmp_path,
    )
    assert result == {"seen": ["entry.py"], "anyio_backend": False}
