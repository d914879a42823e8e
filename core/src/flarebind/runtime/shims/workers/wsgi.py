"""``workers.wsgi``: the WSGI bridge."""

from flarebind.runtime.sdk.types import Options
from flarebind.runtime.sdk.wsgi import entrypoint, fetch

__all__ = ["Options", "entrypoint", "fetch"]
