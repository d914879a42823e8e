"""The AI binding on a local OpenAI-compatible provider (a real HTTP server on 127.0.0.1 standing in for Ollama)."""

from __future__ import annotations

import json

import pytest
from flarebind.platform import platform_proxy
from flarebind_ai.errors import AiConfigError, AiProviderUnavailable, InferenceUpstreamError
from flarebind_ai.stream import AiStream

LLAMA = "@cf/meta/llama-3.1-8b-instruct"
BGE = "@cf/baai/bge-small-en-v1.5"


async def test_text_generation_has_workers_ai_shape(project, provider):
    async with platform_proxy(project / "wrangler.toml", in_memory=True) as proxy:
        result = await proxy.env.AI.run(LLAMA, {"prompt": "Say hello"})
    assert result == {
        "response": "Hello from the local model",
        "usage": {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12},
    }
    assert result.response == "Hello from the local model"
    sent = provider.requests[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["body"]["model"] == "llama3.1:8b"  # the default map
    assert sent["body"]["messages"] == [{"role": "user", "content": "Say hello"}]
    assert sent["body"]["max_tokens"] == 256  # Workers AI's default, not the server's


async def test_messages_and_options_pass_through(project, provider):
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    async with platform_proxy(project / "wrangler.toml", in_memory=True) as proxy:
        await proxy.env.AI.run(LLAMA, {"messages": messages, "max_tokens": 12, "temperature": 0.2, "seed": 4})
    body = provider.requests[-1]["body"]
    assert body["messages"] == messages
    assert (body["max_tokens"], body["temperature"], body["seed"]) == (12, 0.2, 4)


async def test_tool_calls_come_back_in_workers_ai_shape(project, provider):
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]
    async with platform_proxy(project / "wrangler.toml", in_memory=True) as proxy:
        result = await proxy.env.AI.run(LLAMA, {"prompt": "weather?", "tools": tools})
    assert result["tool_calls"] == [{"name": "weather", "arguments": {"city": "Lisbon"}}]


async def test_streaming_gives_workers_ai_events(project, provider):
    async with platform_proxy(project / "wrangler.toml", in_memory=True) as proxy:
        stream = await proxy.env.AI.run(LLAMA, {"prompt": "hi", "stream": True})
        assert isinstance(stream, AiStream)
        events = [e async for e in stream.events()]
    assert events[:5] == [{"response": t} for t in ["Hello", " from", " the", " local", " model"]]
    assert events[5] == {"response": "", "usage": {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}}
    assert events[-1] == "[DONE]"


async def test_a_stream_is_a_response_body(project, provider):
    from flarebind.runtime.sdk.response import JsResponse

    async with platform_proxy(project / "wrangler.toml", in_memory=True) as proxy:
        stream = await proxy.env.AI.run(LLAMA, {"prompt": "hi", "stream": True})
        text = await JsResponse(stream, headers={"content-type": "text/event-stream"}).text()
    lines = [line for line in text.split("\n\n") if line]
    assert lines[0] == 'data: {"response":"Hello"}'
    assert lines[-1] == "data: [DONE]"


async def test_embeddings_have_workers_ai_shape(project, provider):
    async with platform_proxy(project / "wrangler.toml", in_memory=True) as proxy:
        one = await proxy.env.AI.run(BGE, {"text": "hello"})
        two = await proxy.env.AI.run(BGE, {"text": ["a", "b"], "pooling": "cls"})
    assert one["shape"] == [1, 8] and len(one["data"][0]) == 8 and one["pooling"] == "mean"
    assert two["shape"] == [2, 8] and two["pooling"] == "cls"
    assert provider.requests[-1]["body"] == {"model": "bge-small-en-v1.5", "input": ["a", "b"]}


async def test_a_user_model_map_and_local_names(project, provider, monkeypatch):
    (project / ".flarebind").mkdir()
    (project / ".flarebind" / "ai-models.json").write_text(json.dumps({LLAMA: "mine"}))
    async with platform_proxy(project / "wrangler.toml", in_memory=True) as proxy:
        await proxy.env.AI.run(LLAMA, {"prompt": "x"})
        assert provider.requests[-1]["body"]["model"] == "mine"
        await proxy.env.AI.run("local:llama3.1:8b", {"prompt": "x"})
        assert provider.requests[-1]["body"]["model"] == "llama3.1:8b"
        with pytest.raises(AiConfigError, match=r'No local model is mapped for "@cf/unknown/model": add'):
            await proxy.env.AI.run("@cf/unknown/model", {"prompt": "x"})


async def test_provider_errors_cross_as_inference_upstream_errors(project, provider):
    async with platform_proxy(project / "wrangler.toml", in_memory=True) as proxy:
        with pytest.raises(InferenceUpstreamError, match=r"^404: model 'nomic-embed-text' not found$") as info:
            await proxy.env.AI.run("local:nomic-embed-text", {"text": "x"})
        assert info.value.name == "InferenceUpstreamError"
        provider.fail_with = (500, {"error": "out of memory"})  # Ollama's flat error shape
        with pytest.raises(InferenceUpstreamError, match=r"^500: out of memory$"):
            await proxy.env.AI.run(LLAMA, {"prompt": "x"})


async def test_a_provider_that_does_not_answer_in_time(project, provider, monkeypatch):
    monkeypatch.setenv("FLAREBIND_AI_TIMEOUT", "0.2")
    provider.delay = 1.0
    async with platform_proxy(project / "wrangler.toml", in_memory=True) as proxy:
        with pytest.raises(AiProviderUnavailable) as info:
            await proxy.env.AI.run(LLAMA, {"prompt": "x"})
    assert f"the local AI provider at {provider.url}/v1 did not answer within 0.2 s" in str(info.value)


async def test_a_provider_that_is_down_names_its_url(project, monkeypatch):
    from flarebind.plugins import reset_plugins

    monkeypatch.setenv("FLAREBIND_AI_PROVIDER", "http://127.0.0.1:9")
    reset_plugins()
    try:
        async with platform_proxy(project / "wrangler.toml", in_memory=True) as proxy:
            with pytest.raises(AiProviderUnavailable) as info:
                await proxy.env.AI.run(LLAMA, {"prompt": "x"})
    finally:
        reset_plugins()
    message = str(info.value)
    assert message.startswith("flarebind could not reach the local AI provider at http://127.0.0.1:9/v1 (ConnectError")
    assert "ollama serve" in message


async def test_tasks_an_openai_server_cannot_run_are_refused_clearly(project, provider):
    async with platform_proxy(project / "wrangler.toml", in_memory=True) as proxy:
        refused = r"^@cf/openai/whisper is a model for Automatic Speech Recognition, which an OpenAI-compatible"
        with pytest.raises(InferenceUpstreamError, match=refused):
            await proxy.env.AI.run("@cf/openai/whisper", {"audio": [1, 2, 3]})
        with pytest.raises(Exception, match=r"AI\.models\(\) needs Workers AI itself"):
            await proxy.env.AI.models()


async def test_without_a_provider_ai_stays_remote_with_wranglers_text(project, monkeypatch):
    from flarebind.plugins import reset_plugins

    monkeypatch.delenv("FLAREBIND_AI_PROVIDER", raising=False)
    reset_plugins()
    async with platform_proxy(project / "wrangler.toml", in_memory=True, local=True) as proxy:
        with pytest.raises(Exception, match=r"^Binding AI needs to be run remotely$"):
            await proxy.env.AI.run(LLAMA, {"prompt": "x"})
