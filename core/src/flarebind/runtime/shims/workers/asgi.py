"""``workers.asgi``: the ASGI bridge."""

from flarebind.runtime.sdk.asgi import env, fetch

__all__ = ["env", "fetch"]
