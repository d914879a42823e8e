"""``flarebind dev --debugpy``: listen for a DAP client (VS Code, nvim-dap, PyCharm…) before the Worker starts.

The Worker runs in the dev server's own process and event loop, so one debugpy listener covers every handler,
including after a reload (breakpoints are set by file and line, and a reloaded module keeps its file).
"""

from __future__ import annotations

import click

DEFAULT_ADDRESS = "127.0.0.1:5678"


def parse_address(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep:  # a bare port
        host, port = "127.0.0.1", value
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{value!r} is not HOST:PORT (e.g. {DEFAULT_ADDRESS})", param_hint="--debugpy")
    return host or "127.0.0.1", int(port)


def listen(value: str) -> tuple[str, int]:
    """Start debugpy's listener; returns the address it listens on. Does not wait for a client."""
    try:
        import debugpy
    except ImportError as exc:
        raise click.ClickException(
            "--debugpy needs the debugpy package: install it in the environment that runs flarebind "
            "(`uv add --dev debugpy` or `pip install debugpy`)."
        ) from exc
    host, port = parse_address(value)
    bound = debugpy.listen((host, port))
    click.echo(f"Debugger (debugpy) listening on {bound[0]}:{bound[1]}: attach a DAP client to it.")
    return bound[0], bound[1]
