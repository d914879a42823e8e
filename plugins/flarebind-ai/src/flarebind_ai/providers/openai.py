"""Workers AI on any OpenAI-compatible server (Ollama, llama.cpp's server, vLLM, LM Studio).

Requests go to ``<base>/chat/completions`` and ``<base>/embeddings`` (``/v1`` is appended to a base URL without
it); answers come back in Workers AI's shapes, not OpenAI's: text generation ``{response, tool_calls?, usage}``,
streamed as ``data: {"response": "…"}`` events then ``data: [DONE]``; embeddings ``{shape, data, pooling}``.
Errors name the server: one that is down or slow is an :class:`AiProviderUnavailable` with its URL, one that
answers with an error an :class:`InferenceUpstreamError` ``<status>: <its message>``.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from flarebind_ai.errors import AiProviderUnavailable, InferenceUpstreamError
from flarebind_ai.models import TEXT_EMBEDDINGS, TEXT_GENERATION, load_model_map, local_model, task_of
from flarebind_ai.stream import AiStream, sse

TIMEOUT_ENV = "FLAREBIND_AI_TIMEOUT"
# Workers AI's defaults where OpenAI servers differ
DEFAULT_MAX_TOKENS = 256
PASSED_THROUGH = ("temperature", "top_p", "seed", "frequency_penalty", "presence_penalty", "response_format", "tools")


class OpenAICompatibleProvider:
    def __init__(self, url: str, *, project_dir: Path | None = None, timeout: float | None = None) -> None:
        base = url.rstrip("/")
        self.url = base if base.endswith("/v1") else base + "/v1"
        self.label = f"OpenAI-compatible server at {url.rstrip('/')}"
        self.timeout = timeout if timeout is not None else float(os.environ.get(TIMEOUT_ENV) or 120)
        self.model_map, self.map_file = load_model_map(project_dir)
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout, connect=10.0), trust_env=False)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def run(self, model: str, inputs: Any, options: dict[str, Any]) -> Any:
        task = task_of(model)
        if not isinstance(inputs, dict):
            raise TypeError(f"AI.run: inputs must be an object, not {type(inputs).__name__}")
        if task == TEXT_EMBEDDINGS:
            return await self._embed(model, inputs)
        if task == TEXT_GENERATION:
            return await self._generate(model, inputs)
        raise InferenceUpstreamError(
            f"{model} is a model for {task}, which an OpenAI-compatible provider cannot run; flarebind's local "
            "providers run text generation and text embeddings. Set remote = true on the AI binding to use Workers AI."
        )

    # --------------------------------------------------------------------------------------------- requests
    async def _post(self, path: str, body: dict[str, Any], *, stream: bool = False) -> httpx.Response:
        url = f"{self.url}/{path}"
        try:
            request = self.client.build_request("POST", url, json=body)
            response = await self.client.send(request, stream=stream)
        except httpx.TimeoutException:
            raise AiProviderUnavailable(
                f"the local AI provider at {self.url} did not answer within {self.timeout:g} s "
                f"({body.get('model')}; {TIMEOUT_ENV} sets the limit)"
            ) from None
        except httpx.HTTPError as exc:
            raise AiProviderUnavailable(
                f"flarebind could not reach the local AI provider at {self.url} ({type(exc).__name__}: {exc}). "
                "Start it (for Ollama: `ollama serve`), or unset FLAREBIND_AI_PROVIDER / --ai-provider to use "
                "Workers AI remotely."
            ) from None
        if response.status_code >= 400:
            data = await response.aread()
            await response.aclose()
            raise InferenceUpstreamError(f"{response.status_code}: {_error_text(data)}")
        return response

    async def _generate(self, model: str, inputs: dict[str, Any]) -> Any:
        if "messages" in inputs:
            messages = inputs["messages"]
        elif "prompt" in inputs:
            messages = [{"role": "user", "content": inputs["prompt"]}]
        else:
            raise InferenceUpstreamError(
                f"{model}: the inputs need a 'prompt' or 'messages' (got {', '.join(inputs) or 'nothing'})"
            )
        body: dict[str, Any] = {
            "model": local_model(model, self.model_map, self.map_file),
            "messages": messages,
            "max_tokens": inputs.get("max_tokens", DEFAULT_MAX_TOKENS),
            **{k: inputs[k] for k in PASSED_THROUGH if k in inputs},
        }
        if inputs.get("stream"):
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
            response = await self._post("chat/completions", body, stream=True)
            return AiStream(_events(response), on_close=response.aclose)
        response = await self._post("chat/completions", body)
        data = response.json()
        choice = (data.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        out: dict[str, Any] = {"response": message.get("content") or ""}
        if message.get("tool_calls"):
            out["tool_calls"] = [
                {"name": c["function"]["name"], "arguments": _arguments(c["function"].get("arguments"))}
                for c in message["tool_calls"]
            ]
        if data.get("usage"):
            out["usage"] = _usage(data["usage"])
        return out

    async def _embed(self, model: str, inputs: dict[str, Any]) -> Any:
        text = inputs.get("text")
        if text is None:
            raise InferenceUpstreamError(f"{model}: the inputs need 'text' (a string or a list of strings)")
        texts = [text] if isinstance(text, str) else list(text)
        body = {"model": local_model(model, self.model_map, self.map_file), "input": texts}
        data = (await self._post("embeddings", body)).json()
        vectors = [item["embedding"] for item in sorted(data.get("data") or [], key=lambda d: d.get("index", 0))]
        return {
            "shape": [len(vectors), len(vectors[0]) if vectors else 0],
            "data": vectors,
            "pooling": inputs.get("pooling", "mean"),
        }


async def _events(response: httpx.Response) -> AsyncIterator[bytes]:
    """OpenAI's streamed chunks as Workers AI's events."""
    usage = None
    async for line in response.aiter_lines():
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        chunk = json.loads(data)
        if chunk.get("usage"):
            usage = _usage(chunk["usage"])
        for choice in chunk.get("choices") or []:
            text = (choice.get("delta") or {}).get("content")
            if text:
                yield sse({"response": text})
    if usage is not None:
        yield sse({"response": "", "usage": usage})
    yield sse("[DONE]")


def _usage(usage: dict[str, Any]) -> dict[str, Any]:
    return {k: usage.get(k, 0) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _error_text(data: bytes) -> str:
    try:
        body = json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")[:500] or "(empty answer)"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error or body)
