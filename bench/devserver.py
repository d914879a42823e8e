"""Start a dev server (``flarebind dev`` or ``wrangler dev``) as a real process and time it from the outside."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from bench import proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str = "/", timeout: float = 10, headers: dict[str, str] | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        res = conn.getresponse()
        return res.status, res.read().decode("utf-8", "replace")
    finally:
        conn.close()


class DevServer:
    """One dev-server process (own session, so the whole tree can be stopped), its output kept in a log file."""

    def __init__(self, cmd: list[str], cwd: Path, env: dict[str, str], port: int, log: Path):
        self.port = port
        self.log = log
        self._log_file = open(log, "wb")  # noqa: SIM115 - closed in stop(), it outlives this method
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def output_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_for(
        self,
        expect: str | None = None,
        give_up_after: float = 120,
        since: float | None = None,
        path: str = "/",
        headers: dict[str, str] | None = None,
    ) -> float:
        """Poll GET ``path`` until a 200 (with body ``expect`` if given); seconds from ``since`` (default: spawn)."""
        since = self.started if since is None else since
        deadline = time.perf_counter() + give_up_after
        last = "no response"
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dev server exited with {self.process.returncode}:\n{self.output_tail()}")
            try:
                status, body = get(self.port, path, timeout=5, headers=headers)
                if status == 200 and (expect is None or body.strip() == expect):
                    return time.perf_counter() - since
                last = f"{status} {body[:200]!r}"
            except OSError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.005)
        raise RuntimeError(f"no expected response within {give_up_after} s (last: {last}):\n{self.output_tail()}")

    def tree_rss_mib(self) -> float:
        return proc.tree_rss_kib(self.process.pid) / 1024

    def stop(self) -> None:
        """SIGINT (as Ctrl-C; both wrangler and flarebind exit cleanly on it), then escalate on the group."""
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    pass
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.process.pid, sig)  # our own session: leftover children (workerd, esbuild)
                except ProcessLookupError:
                    break
                time.sleep(0.5)
            self.process.wait(10)
        finally:
            self._log_file.close()

    def __enter__(self) -> DevServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
