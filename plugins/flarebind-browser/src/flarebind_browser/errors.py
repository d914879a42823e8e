"""The Browser plugin's errors and their texts."""

from __future__ import annotations

from flarebind.plugin import FlarebindError, JsException

CHROME_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


class BrowserNotFound(FlarebindError):
    """No Chromium to run a local Browser binding."""


def browser_not_found(binding: str, configured: str | None = None) -> BrowserNotFound:
    if configured:
        first = f"FLAREBIND_CHROME is {configured!r}, which is not an executable file."
    else:
        first = f"No Chromium was found for the Browser binding {binding} (looked for {', '.join(CHROME_CANDIDATES)})."
    return BrowserNotFound(
        f"{first} Install one (Debian/Ubuntu: `sudo apt-get install -y chromium`) or set FLAREBIND_CHROME to the path "
        "of a Chrome or Chromium executable; or set `remote = true` on the binding to use Cloudflare's browsers."
    )


class BrowserLaunchError(FlarebindError):
    """Chromium started but did not open its DevTools port."""


class BrowserError(JsException):
    """What puppeteer raises when the browser or the protocol fails (a plain JS Error)."""


class ProtocolError(JsException):
    """A DevTools command failed: ``Protocol error (Method): message``, puppeteer's wording."""

    def __init__(self, method: str, message: str) -> None:
        super().__init__(f"Protocol error ({method}): {message}", "ProtocolError")
        self.method = method
