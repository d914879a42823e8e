"""Finding and running a local Chromium: one headless process per Browser session.

Chromium comes from the system (Debian's ``chromium``) or ``FLAREBIND_CHROME``. Each session gets its own
throw-away profile folder; Chromium writes ``DevToolsActivePort`` there once its DevTools server listens, which is how
we learn the WebSocket endpoint (no stderr parsing, so its output can go to a log file and never block a pipe).

No orphans: Chromium runs in its own process session (``setsid``), so stopping it signals the whole tree (zygote,
renderers, GPU process) at once; on Linux it also gets ``PR_SET_PDEATHSIG`` so a killed flarebind takes its
browsers with it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flarebind_browser.errors import CHROME_CANDIDATES, BrowserLaunchError, browser_not_found

# Chromium's flags for a quiet, deterministic headless browser (as puppeteer and Miniflare start it)
CHROME_FLAGS = (
    "--headless=new",
    "--hide-scrollbars",
    "--mute-audio",
    "--allow-pre-commit-input",
    "--disable-background-networking",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-breakpad",
    "--disable-client-side-phishing-detection",
    "--disable-component-extensions-with-background-pages",
    "--disable-crash-reporter",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-hang-monitor",
    "--disable-ipc-flooding-protection",
    "--disable-popup-blocking",
    "--disable-prompt-on-repost",
    "--disable-renderer-backgrounding",
    "--disable-search-engine-choice-screen",
    "--disable-sync",
    "--enable-automation",
    "--export-tagged-pdf",
    "--force-color-profile=srgb",
    "--metrics-recording-only",
    "--no-first-run",
    "--password-store=basic",
    "--use-mock-keychain",
    "--disable-features=Translate,AcceptCHFrame,MediaRouter,OptimizationHints,ProcessPerSiteUpToMainFrameThreshold",
)
START_WAIT_SECONDS = 60.0  # how long a cold Chromium may take on a loaded machine (a start-up wait, not a limit)
STOP_WAIT_SECONDS = 5.0


def find_chrome(binding: str = "BROWSER") -> str:
    """The Chromium to run: ``FLAREBIND_CHROME`` if set, else the first candidate on ``PATH``."""
    configured = os.environ.get("FLAREBIND_CHROME")
    if configured:
        if os.path.isfile(configured) and os.access(configured, os.X_OK):
            return configured
        raise browser_not_found(binding, configured)
    for name in CHROME_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise browser_not_found(binding)


def _die_with_parent() -> None:
    """In the child before exec: a new session, and SIGKILL when the launching thread's process dies (Linux)."""
    os.setsid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


class ChromeProcess:
    """One running Chromium: its process, DevTools WebSocket URL and profile folder."""

    def __init__(self, process: subprocess.Popen[bytes], ws_endpoint: str, profile: Path) -> None:
        self.process = process
        self.ws_endpoint = ws_endpoint
        self.profile = profile

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def http_base(self) -> str:
        """``http://127.0.0.1:<port>`` for Chromium's ``/json/*`` endpoints."""
        host = self.ws_endpoint.split("://", 1)[1].split("/", 1)[0]
        return f"http://{host}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """End the whole process tree (SIGTERM, then SIGKILL) and delete the profile. Safe to call twice."""
        proc = self.process
        try:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    proc.wait(timeout=STOP_WAIT_SECONDS)
                except subprocess.TimeoutExpired:
                    pass
            # children may outlive the main process for a moment: the group gets SIGKILL either way
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if proc.poll() is None:
                proc.wait()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


async def launch_chrome(binding: str = "BROWSER", *, headful: bool = False) -> ChromeProcess:
    """Start a headless Chromium with DevTools on a free port; return when its endpoint is known."""
    executable = find_chrome(binding)
    profile = Path(tempfile.mkdtemp(prefix="flarebind-browser-"))
    args = [executable, *CHROME_FLAGS, "--remote-debugging-port=0", f"--user-data-dir={profile}"]
    if headful:
        args = [a for a in args if a not in ("--headless=new", "--hide-scrollbars", "--mute-audio")]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox (CI containers)
    args.append("about:blank")
    log = open(profile / "chrome.log", "wb")  # noqa: SIM115 - handed to the child, closed below
    try:
        # started from the event loop's thread (PDEATHSIG follows the thread that forked), not from a worker thread
        process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, preexec_fn=_die_with_parent, close_fds=True
        )
    except OSError as exc:
        shutil.rmtree(profile, ignore_errors=True)
        raise BrowserLaunchError(f"could not start {executable}: {exc}") from None
    finally:
        log.close()
    chrome = ChromeProcess(process, "", profile)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + START_WAIT_SECONDS
    try:
        while True:
            try:
                lines = port_file.read_text().split()
            except OSError:
                lines = []
            if len(lines) >= 2:
                chrome.ws_endpoint = f"ws://127.0.0.1:{lines[0]}{lines[1]}"
                return chrome
            if process.poll() is not None:
                tail = (profile / "chrome.log").read_text(errors="replace")[-2000:]
                raise BrowserLaunchError(
                    f"{executable} exited with {process.returncode} before DevTools was ready:\n{tail}"
                )
            if time.monotonic() > deadline:
                raise BrowserLaunchError(f"{executable} did not open its DevTools port in {START_WAIT_SECONDS:.0f} s")
            await asyncio.sleep(0.02)
    except BaseException:
        chrome.stop()
        raise
