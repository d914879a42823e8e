"""``workers.browser``: the Browser Rendering helper from the flarebind-browser plugin (``launch``, ``Browser``,
``Page``, ``sessions``/``history``/``limits`` and the quick actions). Not a module of Cloudflare's SDK."""

try:
    from flarebind_browser.helper import *  # noqa: F403
    from flarebind_browser.helper import __all__  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on what is installed
    raise ImportError("workers.browser needs the flarebind-browser plugin: pip install flarebind-browser") from exc
