"""Running the real (pinned) wrangler CLI from tests: one-shot commands and a ``wrangler dev`` server.

Both use :func:`flarebind.testing.node.wrangler_command` and the offline, quiet
:func:`~flarebind.testing.node.node_env`.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flarebind.testing.node import node_env, wrangler_command


def run_wrangler(
    args: Sequence[str],
    cwd: Path,
    persist_to: Path | str | None = None,
    *,
    stdin: bytes | None = None,
    text: bool = False,
    timeout: float = 180,
) -> subprocess.CompletedProcess[Any]:
    """``wrangler <args> [--persist-to <persist_to>]`` in ``cwd``; asserts it exited 0 (the message is its output).

    ``text=True`` decodes stdout/stderr as ``subprocess.run(text=True)`` does; otherwise they are bytes.
    """
    command = [*wrangler_command(), *args]
    if persist_to is not None:
        command += ["--persist-to", str(persist_to)]
    proc = subprocess.run(
        command, cwd=cwd, env=node_env(), input=stdin, capture_output=True, text=text, timeout=timeout
    )
    if proc.returncode != 0:
        out = proc.stdout + proc.stderr
        raise AssertionError(out if text else out.decode(errors="replace"))
    return proc


@contextmanager
def wrangler_dev(cwd: Path, port: int, persist_to: Path | str) -> Iterator[subprocess.Popen[bytes]]:
    """``wrangler dev`` on ``127.0.0.1:<port>`` (output in ``proc.stdout``, stderr merged); stopped with SIGINT on exit
    (killed if it has not stopped 30 s later). Waiting until it serves is the caller's part."""
    proc = subprocess.Popen(
        [*wrangler_command(), "dev", "--ip", "127.0.0.1", "--port", str(port), "--persist-to", str(persist_to)],
        cwd=cwd,
        env=node_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
