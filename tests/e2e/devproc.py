"""A `flarebind dev` process under test: started on a free port, its output collected, stopped with SIGINT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DevProcess:
    def __init__(self, cwd: Path, *args: str, env: dict[str, str] | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.cwd = cwd
        environ = dict(env or os.environ)
        environ["NO_COLOR"] = "1"
        environ["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            [str(BIN / "flarebind"), "dev", "--port", str(self.port), *args],
            cwd=cwd,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_output(self, text: str, *, after: int = 0, attempts: int = 600) -> int:
        """Wait until ``text`` appears in a line at index >= ``after``; returns the index after that line.

        Bounded by line events and a count of short waits, not by asserting on time.
        """
        with self._changed:
            for _ in range(attempts):
                for index in range(after, len(self.lines)):
                    if text in self.lines[index]:
                        return index + 1
                if self.proc.poll() is not None and not self._reader.is_alive():
                    break
                self._changed.wait(0.1)
        raise AssertionError(f"{text!r} never appeared in the dev output:\n{self.output}")

    def mark(self) -> int:
        with self._changed:
            return len(self.lines)

    def get(self, path: str = "/", **kwargs: object) -> httpx.Response:
        return self.client.get(path, **kwargs)  # type: ignore[arg-type]

    def wait_for_body(self, path: str, expected: str, *, attempts: int = 600) -> httpx.Response:
        """Poll until the body contains ``expected`` (a reload is asynchronous to the edit)."""
        response = self.get(path)
        for _ in range(attempts):
            if expected in response.text:
                return response
            time.sleep(0.05)
            response = self.get(path)
        raise AssertionError(
            f"{path} never returned {expected!r}; last: {response.status_code} {response.text!r}\n"
            f"dev output:\n{self.output}"
        )

    def stop(self) -> int:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                return self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode
