"""Local model providers for the AI binding, chosen with ``FLAREBIND_AI_PROVIDER`` / ``flarebind dev --ai-provider``.

A provider spec is either a URL (``http://127.0.0.1:11434``: any OpenAI-compatible server — Ollama, llama.cpp's
server, vLLM, LM Studio) or ``NAME`` / ``NAME:ARGUMENT`` naming a provider that a distribution publishes in the
entry point group ``flarebind.ai_providers``: a callable ``factory(argument, project_dir) -> provider``. A provider
has ``label`` (shown in the bindings table), ``async run(model, inputs, options)`` returning Workers AI's shapes,
and ``async aclose()``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from flarebind_ai.errors import AiConfigError

PROVIDER_ENV = "FLAREBIND_AI_PROVIDER"
ENTRY_POINT_GROUP = "flarebind.ai_providers"


class Provider(Protocol):
    label: str

    async def run(self, model: str, inputs: Any, options: dict[str, Any]) -> Any: ...

    async def aclose(self) -> None: ...


def configured() -> str | None:
    return os.environ.get(PROVIDER_ENV) or None


def describe(spec: str) -> str:
    """The bindings table's words for a provider spec, without importing it."""
    if spec.startswith(("http://", "https://")):
        return f"OpenAI-compatible server at {spec}"
    return f"provider {spec}"


def load_provider(spec: str, project_dir: Path | None = None) -> Provider:
    if spec.startswith(("http://", "https://")):
        from flarebind_ai.providers.openai import OpenAICompatibleProvider

        return OpenAICompatibleProvider(spec, project_dir=project_dir)
    name, _, argument = spec.partition(":")
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not found:
        available = sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
        raise AiConfigError(
            f"{PROVIDER_ENV}={spec!r}: no AI provider named {name!r} is installed"
            + (f" (installed: {', '.join(available)})" if available else "")
            + "; give the URL of an OpenAI-compatible server (for Ollama: http://127.0.0.1:11434) or install one."
        )
    factory = found[0].load()
    return factory(argument or None, project_dir)
