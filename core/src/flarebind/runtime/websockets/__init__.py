"""WebSockets for Python Workers: ``js.WebSocketPair`` / ``js.WebSocket`` (``socket``), 101 upgrades served to real
clients (``asgi``, under uvicorn's ``websockets`` protocol) and outbound connections (``client``, the ``websockets``
library). Durable Object hibernation (``ctx.acceptWebSocket``) routes events through ``durable_objects.host``."""
