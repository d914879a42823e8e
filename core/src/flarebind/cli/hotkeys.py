"""``flarebind dev``'s terminal keys: ``e`` opens the local explorer in the browser (as in ``wrangler dev``).

Only when stdin is a terminal: it is put in cbreak mode (keys arrive one at a time, Ctrl-C still interrupts) and
restored when the server stops.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable


def start_hotkeys(explorer_url: str) -> Callable[[], None]:
    """Listen for keys on a daemon thread; returns the function that restores the terminal."""
    if not sys.stdin.isatty():
        return lambda: None
    import termios
    import tty

    fd = sys.stdin.fileno()
    try:
        saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
    except termios.error:
        return lambda: None

    def listen() -> None:
        import webbrowser

        while True:
            try:
                key = sys.stdin.read(1)
            except (OSError, ValueError):
                return
            if not key:
                return
            if key.lower() == "e":
                print(f"Opening the local explorer: {explorer_url}", flush=True)
                webbrowser.open(explorer_url)

    threading.Thread(target=listen, name="flarebind-hotkeys", daemon=True).start()
    print("[e] open the local explorer", flush=True)

    def restore() -> None:
        try:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        except termios.error:
            pass

    return restore
