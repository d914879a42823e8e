"""``env.AI`` answered by a local provider: ``run`` (text generation, streaming, embeddings) as Workers AI shapes.

``run(model, inputs, options)`` takes the options as a dict or keyword arguments with the JS names, as every
flarebind binding does. What Workers AI offers beyond running a model (``models``, ``toMarkdown``, ``gateway``)
needs Cloudflare: locally those raise an error saying so; ``remote = true`` reaches them.
"""

from __future__ import annotations

from typing import Any

from flarebind.plugin import js_object

from flarebind_ai.errors import AiInternalError
from flarebind_ai.stream import AiStream

REMOTE_ONLY = (
    "AI.{method}() needs Workers AI itself: the local provider ({label}) only runs models. "
    "Set remote = true on the AI binding to use it."
)


def run_options(options: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    merged = dict(options or {})
    merged.update({k: v for k, v in kwargs.items() if v is not None})
    return merged


def check_model(model: Any) -> str:
    if not isinstance(model, str) or not model:
        raise AiInternalError("AI.run: the model must be a model name string, e.g. '@cf/meta/llama-3.1-8b-instruct'")
    return model


class LocalAi:
    def __init__(self, name: str, provider: Any) -> None:
        self._name = name
        self._provider = provider
        self.lastRequestId: str | None = None
        self.aiGatewayLogId: str | None = None

    def __repr__(self) -> str:
        return f"<AI {self._name} on {self._provider.label}>"

    async def run(self, model: str, inputs: Any, options: Any = None, **kwargs: Any) -> Any:
        model = check_model(model)
        opts = run_options(options, kwargs)
        if opts.get("gateway") or opts.get("returnRawResponse"):
            raise AiInternalError(
                REMOTE_ONLY.format(method="run with a gateway or returnRawResponse", label=self._provider.label)
            )
        result = await self._provider.run(model, inputs, opts)
        return result if isinstance(result, AiStream) else js_object(result)

    async def models(self, params: Any = None) -> Any:
        raise AiInternalError(REMOTE_ONLY.format(method="models", label=self._provider.label))

    async def toMarkdown(self, files: Any, options: Any = None) -> Any:
        raise AiInternalError(REMOTE_ONLY.format(method="toMarkdown", label=self._provider.label))

    def gateway(self, gateway_id: str) -> Any:
        raise AiInternalError(REMOTE_ONLY.format(method="gateway", label=self._provider.label))
