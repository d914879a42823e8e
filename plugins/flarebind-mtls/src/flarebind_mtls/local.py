"""The local mTLS simulator's factory: a real client certificate from ``<state>/v3/mtls/<certificate_id>/``."""

from __future__ import annotations

from typing import Any

from flarebind.plugin import LocalContext

from flarebind_mtls.binding import MtlsCertificate
from flarebind_mtls.store import FOLDER, certificate_dir


def make_local(name: str, spec: dict[str, Any], ctx: LocalContext) -> MtlsCertificate:
    certificate_id = str(spec.get("certificate_id") or "")
    # validated now (it becomes a path); a missing certificate is reported on first fetch, naming the command
    folder = None if ctx.in_memory else certificate_dir(ctx.v3_dir(FOLDER), certificate_id)
    binding = MtlsCertificate(name, certificate_id, folder)
    ctx.add_cleanup(binding.aclose)
    return binding
