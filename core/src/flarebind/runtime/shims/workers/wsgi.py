"""``workers.wsgi``: the WSGI bridge."""

from flarebind.runtime.sdk.wsgi import fetch

__all__ = ["fetch"]
