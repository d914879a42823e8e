"""Time ``flarebind dev`` from process start to the first 200 on a project (default: examples/hello).

Each run starts the ``flarebind`` console script (as a user would) on a free port with a fresh ``--persist-to``,
polls ``GET /`` until it answers 200, and stops the process with SIGINT. Prints every run and the median/min/max.

    .venv/bin/python scripts/measure_dev_start.py            # 10 runs on examples/hello
    .venv/bin/python scripts/measure_dev_start.py -n 5 --project path/to/project
    .venv/bin/python scripts/measure_dev_start.py --bytecode-cache /tmp/flarebind-pyc

Where ``PYTHONDONTWRITEBYTECODE`` is set and no ``__pycache__`` exists (as in this project's shared environment),
every start compiles ~170 modules from source, which is most of the start-up time; a user's Python caches bytecode
after the first run. ``--bytecode-cache DIR`` measures that steady state without writing into the project or the
venv: the dev process gets ``PYTHONPYCACHEPREFIX=DIR`` and may write bytecode there (one unmeasured warm-up run
fills it).

Tooling for working on start-up, independent of ``nox -s bench`` (which measures the same thing among others).
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flarebind_command() -> list[str]:
    script = Path(sys.executable).parent / "flarebind"
    return [str(script)] if script.exists() else [sys.executable, "-m", "flarebind"]


def first_200(port: int, process: subprocess.Popen[bytes], give_up_after: float) -> float:
    deadline = time.perf_counter() + give_up_after
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"flarebind dev exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                conn.request("GET", "/")
                if conn.getresponse().status == 200:
                    return time.perf_counter()
            finally:
                conn.close()
        except OSError:
            pass
        time.sleep(0.002)
    raise RuntimeError(f"no 200 within {give_up_after} s")


def one_run(project: Path, workdir: Path, index: int, env: dict[str, str]) -> float:
    port = free_port()
    persist = workdir / f"state-{index}"
    log = (workdir / f"dev-{index}.log").open("wb")
    cmd = [*flarebind_command(), "dev", "--ip", "127.0.0.1", "--port", str(port), "--persist-to", str(persist)]
    started = time.perf_counter()
    process = subprocess.Popen(
        cmd,
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        return first_200(port, process, 60) - started
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=10)
    parser.add_argument("--project", type=Path, default=ROOT / "examples" / "hello")
    parser.add_argument("--bytecode-cache", type=Path, metavar="DIR", help="let the dev process cache bytecode in DIR")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(args.bytecode_cache.resolve())
    elif env.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set; modules without a __pycache__ are compiled on every start")
    with tempfile.TemporaryDirectory(prefix="flarebind-devstart-") as tmp:
        workdir = Path(tmp)
        # a copy, so the example's own .wrangler/ and __pycache__ are not part of the measurement
        project = workdir / "project"
        shutil.copytree(args.project, project, ignore=shutil.ignore_patterns(".wrangler", "__pycache__", ".venv*"))
        if args.bytecode_cache:
            one_run(project, workdir, -1, env)  # warm-up: fills the bytecode cache
        times = []
        for i in range(args.runs):
            ms = one_run(project, workdir, i, env) * 1000
            times.append(ms)
            print(f"run {i + 1:2d}: {ms:6.0f} ms", flush=True)
    print(
        f"median {statistics.median(times):.0f} ms, min {min(times):.0f} ms, max {max(times):.0f} ms "
        f"({len(times)} runs, load average {os.getloadavg()[0]:.2f})"
    )


if __name__ == "__main__":
    main()
