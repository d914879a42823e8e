"""``workers.asgi``: the ASGI bridge."""

from flarebind.runtime.sdk.asgi import entrypoint, env, fetch, websocket
from flarebind.runtime.sdk.types import Options

__all__ = ["Options", "entrypoint", "env", "fetch", "websocket"]
