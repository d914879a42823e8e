"""``env.AI`` through the flarebind proxy worker: Workers AI itself, counted by the spend guard.

Every ``run`` is admitted by :data:`flarebind_ai.usage.USAGE` first (refused past ``--ai-max-calls``); JSON answers
come back as objects, streamed ones (``stream: True``, images, audio) as an :class:`AiStream` that also works as a
``Response`` body. ``models``, ``toMarkdown``, ``gateway(id)…`` and the rest of the Workers AI API go through the
generic pipeline unchanged.
"""

from __future__ import annotations

from typing import Any

from flarebind.plugin import JsException, RemoteBinding, RemoteStream, shape

from flarebind_ai.binding import check_model, run_options
from flarebind_ai.errors import InferenceUpstreamError
from flarebind_ai.stream import AiStream
from flarebind_ai.usage import USAGE


class RemoteAi(RemoteBinding):
    async def run(self, model: str, inputs: Any, options: Any = None, **kwargs: Any) -> Any:
        model = check_model(model)
        opts = run_options(options, kwargs)
        USAGE.admit(model)
        args = [model, inputs, opts] if opts else [model, inputs]
        try:
            result = shape(await self._call([{"call": "run", "args": args}]))
        except JsException as exc:
            raise _named(exc) from None
        if isinstance(result, RemoteStream):
            return AiStream(result, on_close=result.aclose)
        USAGE.settle(model, result)
        return result


def _named(exc: JsException) -> JsException:
    """Workers AI's own error class for its errors, also when an RPC hop folded the name into the message."""
    message = str(exc)
    prefix = f"{InferenceUpstreamError.__name__}: "
    if exc.name == "InferenceUpstreamError" or message.startswith(prefix):
        return InferenceUpstreamError(message.removeprefix(prefix))
    return exc


def make_remote(name: str, spec: dict[str, Any], channel: Any) -> RemoteAi:
    return RemoteAi(name, spec, channel)
