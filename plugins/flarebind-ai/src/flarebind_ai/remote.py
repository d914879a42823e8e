"""``env.AI`` through the flarebind proxy worker: Workers AI itself, counted by the spend guard.

Every ``run`` is admitted by :data:`flarebind_ai.usage.USAGE` first (refused past ``--ai-max-calls``); JSON answers
come back as objects, streamed ones (``stream: True``, images, audio) as an :class:`AiStream` that also works as a
``Response`` body. ``models``, ``toMarkdown``, ``gateway(id)…`` and the rest of the Workers AI API go through the
generic pipeline unchanged.
"""

from __future__ import annotations

from typing import Any

from flarebind.plugin import RemoteBinding, RemoteStream, shape

from flarebind_ai.binding import check_model, run_options
from flarebind_ai.stream import AiStream
from flarebind_ai.usage import USAGE


class RemoteAi(RemoteBinding):
    async def run(self, model: str, inputs: Any, options: Any = None, **kwargs: Any) -> Any:
        model = check_model(model)
        opts = run_options(options, kwargs)
        USAGE.admit(model)
        args = [model, inputs, opts] if opts else [model, inputs]
        result = shape(await self._call([{"call": "run", "args": args}]))
        if isinstance(result, RemoteStream):
            return AiStream(result, on_close=result.aclose)
        USAGE.settle(model, result)
        return result


def make_remote(name: str, spec: dict[str, Any], channel: Any) -> RemoteAi:
    return RemoteAi(name, spec, channel)
