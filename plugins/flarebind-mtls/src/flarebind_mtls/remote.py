"""mTLS through the flarebind proxy worker: ``fetch`` runs on Cloudflare, presenting the uploaded certificate."""

from __future__ import annotations

from typing import Any

from flarebind.plugin import RemoteFetcher


class RemoteMtlsCertificate(RemoteFetcher):
    """``env.CERT`` when ``remote = true``: the request is built and sent by the proxy's real mTLS binding."""


def make_remote(name: str, spec: dict[str, Any], channel: Any) -> RemoteMtlsCertificate:
    return RemoteMtlsCertificate(name, spec, channel)
