"""``_cloudflare_compat_flags``: each compatibility flag as a bool, from the Worker's date and flags."""

from typing import Any


def __getattr__(name: str) -> Any:
    from flarebind.runtime.compat import current_compat

    if name.startswith("__"):
        raise AttributeError(name)
    return current_compat().enabled(name)
