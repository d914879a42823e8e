"""Top-level ``asgi`` (an alias of ``workers.asgi``, as in the SDK)."""

from flarebind.runtime.sdk.asgi import env, fetch

__all__ = ["env", "fetch"]
