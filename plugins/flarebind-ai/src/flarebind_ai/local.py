"""The local AI factory: ``make_local(name, spec, ctx)`` -> :class:`LocalAi` on the configured provider.

Without a provider AI is remote-only, as in wrangler: the binding is then a placeholder whose every use raises
wrangler's ``Binding AI needs to be run remotely`` (it is built only when the session is not used, e.g. ``--local``).
"""

from __future__ import annotations

from typing import Any

from flarebind.plugin import LocalContext, RemoteRequiredError

from flarebind_ai.binding import LocalAi
from flarebind_ai.providers import configured, load_provider


class NeedsRemote:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"<AI {self._name}: needs a remote session or a local provider>"

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        raise RemoteRequiredError(self._name)


def make_local(name: str, spec: dict[str, Any], ctx: LocalContext) -> LocalAi | NeedsRemote:
    spec_provider = spec.get("provider") or configured()
    if not spec_provider:
        return NeedsRemote(name)
    provider = load_provider(spec_provider, ctx.project_dir)
    ctx.add_cleanup(provider.aclose)
    return LocalAi(name, provider)
