"""Remote bindings: proxy sessions that reach real Cloudflare resources from local development.

See ``docs/remote.md`` (sessions, relay, provisioning) and ``docs/remote-protocol.md`` (the wire protocol).
"""

from flarebind.bindings.convert import pick_remote_bindings
from flarebind.remote.auth import Auth
from flarebind.remote.provision import RemoteSessionAuthenticationError, RemoteSessionError
from flarebind.remote.session import (
    RemoteProxySession,
    RemoteProxySessionData,
    maybe_start_or_update_remote_proxy_session,
    session_for,
    start_remote_proxy_session,
)

__all__ = [
    "Auth",
    "RemoteProxySession",
    "RemoteProxySessionData",
    "RemoteSessionAuthenticationError",
    "RemoteSessionError",
    "maybe_start_or_update_remote_proxy_session",
    "pick_remote_bindings",
    "session_for",
    "start_remote_proxy_session",
]
