"""flarebind plugin for Workers AI: the remote binding (with a spend guard) and local model providers.

As wrangler has it, AI is always remote; with a local provider configured (``FLAREBIND_AI_PROVIDER``, or
``flarebind dev --ai-provider URL``) an AI binding without ``remote = true`` runs on that provider instead, and the
bindings table names it. Providers are pluggable through the ``flarebind.ai_providers`` entry point group.
Nothing heavy is imported here: httpx and the providers load when a binding is built.
"""

from __future__ import annotations

from typing import Any

from flarebind.plugin import BindingType, Shape, Support, drop_none, hookimpl


def upload_metadata(name: str, spec: Any) -> dict[str, Any]:
    return drop_none({"name": name, "type": "ai", "staging": spec.get("staging")})


@hookimpl
def register_binding_types(register: Any) -> None:
    from flarebind_ai.providers import configured, describe

    provider = configured()
    register(
        BindingType(
            type="ai",
            stub="flarebind_ai.binding:LocalAi",  # what `flarebind types` gives env.NAME
            config_key="ai",
            friendly_name="AI",
            # a configured local provider is an honest simulator: AI may then run locally
            support=Support.LOCAL_AND_REMOTE if provider else Support.ALWAYS_REMOTE,
            shape=Shape.OBJECT,
            fields={"binding": str, "staging": bool},
            required=("binding",),
            resource=lambda e: "staging" if e.get("staging") else None,
            upload_metadata=upload_metadata,
            simulator=describe(provider) if provider else None,
        )
    )


@hookimpl
def register_adapters(register: Any) -> None:
    register.local("ai", "flarebind_ai.local:make_local")
    register.remote("ai", "flarebind_ai.remote:make_remote")
