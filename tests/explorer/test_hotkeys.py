"""`e` in the `flarebind dev` terminal opens the explorer (a real process on a pseudo-terminal; the browser is a
script named by $BROWSER that records the URL it was given)."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from e2e.devproc import BIN, free_port


def test_e_opens_the_explorer_in_the_browser(project: Path, tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    port = free_port()
    controller, terminal = pty.openpty()
    env = {**os.environ, "BROWSER": str(browser), "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [str(BIN / "flarebind"), "dev", "--port", str(port), "--persist-to", str(project / "state")],
        cwd=project,
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        for _ in range(600):
            if any("Ready on" in line for line in lines) or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert any("[e] open the local explorer" in line for line in lines), "".join(lines)
        os.write(controller, b"e")
        for _ in range(300):
            if opened.exists() and opened.read_text().strip():
                break
            time.sleep(0.1)
        assert opened.read_text().strip() == f"http://127.0.0.1:{port}/cdn-cgi/explorer", "".join(lines)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(controller)
        os.close(terminal)
