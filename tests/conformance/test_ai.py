"""Workers AI through the remote path: every task type's shape, streams, options and errors across the wire.

workerd has no local Workers AI and the real one is billed, so the proxy worker under ``wrangler dev`` binds a JS
stand-in with the binding's methods (``AiStandIn`` in ``flarebind.testing.remote_proxy``); the suite checks what
crosses: JSON answers, SSE and image streams, bytes in, nested options, the error's name and text, and the spend
guard in front of it all. Runs with ``FLAREBIND_CONFORMANCE_REMOTE=1`` (``nox -s tests`` sets it).
"""

from __future__ import annotations

import os

import pytest
from flarebind.jsobject import JsObject

pytestmark = [
    pytest.mark.wrangler,
    pytest.mark.remote,
    pytest.mark.skipif(not os.environ.get("FLAREBIND_CONFORMANCE_REMOTE"), reason="FLAREBIND_CONFORMANCE_REMOTE unset"),
]


@pytest.fixture
async def ai(monkeypatch):
    from flarebind.remote.channel import channel_for_deployed_proxy
    from flarebind.testing.remote_proxy import shared_dev_proxy
    from flarebind_ai.remote import make_remote
    from flarebind_ai.usage import USAGE

    monkeypatch.delenv("FLAREBIND_AI_MAX_CALLS", raising=False)
    USAGE.reset()
    proxy = shared_dev_proxy()
    async with channel_for_deployed_proxy(proxy.url, proxy.secret) as channel:
        yield make_remote("FB_AI", {"type": "ai"}, channel)
    USAGE.reset()


async def test_text_generation_prompt_and_messages(ai):
    result = await ai.run("@cf/meta/llama-3.1-8b-instruct", {"prompt": "hello there"})
    assert isinstance(result, JsObject) and result.response == "echo: hello there"
    assert result.usage.total_tokens == 3000
    chat = await ai.run("@cf/meta/llama-3.1-8b-instruct", {"messages": [{"role": "user", "content": "hi"}]})
    assert chat["response"] == "echo: hi"


async def test_streaming_text_generation_is_server_sent_events(ai):
    from flarebind.runtime.sdk.response import JsResponse

    stream = await ai.run("@cf/meta/llama-3.1-8b-instruct", {"prompt": "one two three", "stream": True})
    assert [e async for e in stream.events()] == [
        {"response": "one"},
        {"response": "two"},
        {"response": "three"},
        "[DONE]",
    ]
    again = await ai.run("@cf/meta/llama-3.1-8b-instruct", {"prompt": "as a body", "stream": True})
    text = await JsResponse(again, headers={"content-type": "text/event-stream"}).text()
    assert text.startswith('data: {"response":"as"}\n\n') and text.endswith("data: [DONE]\n\n")


async def test_embeddings(ai):
    result = await ai.run("@cf/baai/bge-small-en-v1.5", {"text": ["ab", "abcd"]})
    assert result == {"shape": [2, 4], "data": [[2, 0.5, -0.25, 1], [4, 0.5, -0.25, 1]], "pooling": "mean"}


async def test_classification_translation_summarisation(ai):
    labels = await ai.run("@cf/huggingface/distilbert-sst-2-int8", {"text": "great"})
    assert [x.label for x in labels] == ["NEGATIVE", "POSITIVE"] and labels[1].score == 0.75
    translated = await ai.run("@cf/meta/m2m100-1.2b", {"text": "hello", "source_lang": "en", "target_lang": "fr"})
    assert translated.translated_text == "[fr] hello"
    summary = await ai.run("@cf/facebook/bart-large-cnn", {"input_text": "First sentence. Second one."})
    assert summary.summary == "First sentence."


async def test_speech_recognition_and_image_to_text_take_bytes(ai):
    audio = bytes(range(200))
    heard = await ai.run("@cf/openai/whisper", {"audio": audio})
    assert heard.text == "heard 200 bytes" and heard.vtt == "WEBVTT"
    seen = await ai.run("@cf/llava-hf/llava-1.5-7b-hf", {"image": list(b"\x89PNG....")})
    assert seen.description == "an image of 8 bytes"


async def test_text_to_image_is_a_binary_stream(ai):
    image = await ai.run("@cf/stabilityai/stable-diffusion-xl-base-1.0", {"prompt": "a cat"})
    data = await image.bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"a cat")


async def test_options_cross_nested_as_keyword_or_dict(ai):
    gateway = {"id": "my-gateway", "skipCache": True, "cacheTtl": 3600}
    a = await ai.run("@cf/test/echo-options", {"prompt": "x"}, {"gateway": gateway})
    b = await ai.run("@cf/test/echo-options", {"prompt": "x"}, gateway=gateway, returnRawResponse=None)
    assert a.options == b.options == {"gateway": gateway}
    none = await ai.run("@cf/test/echo-options", {"prompt": "x"})
    assert none.options is None  # no options object is sent when none is given


async def test_models_and_to_markdown(ai):
    models = await ai.models({"task": "Text Generation"})
    assert models[0].name == "@cf/meta/llama-3.1-8b-instruct" and models[0].params == {"task": "Text Generation"}
    converted = await ai.toMarkdown([{"name": "a.txt", "blob": b"hi"}])
    assert converted[0].data == "# a.txt"


async def test_errors_cross_with_their_name_and_text(ai):
    from flarebind_ai.errors import InferenceUpstreamError

    with pytest.raises(InferenceUpstreamError) as info:
        await ai.run("@cf/bad/model", {"prompt": "x"})
    assert str(info.value) == "5007: No such model @cf/bad/model or task"
    assert info.value.name == "InferenceUpstreamError"


async def test_the_spend_guard_counts_and_refuses_remote_calls(ai, monkeypatch):
    from flarebind_ai.errors import AiCallLimitReached
    from flarebind_ai.usage import USAGE

    monkeypatch.setenv("FLAREBIND_AI_MAX_CALLS", "2")
    await ai.run("@cf/meta/llama-3.1-8b-instruct", {"prompt": "one"})
    await ai.run("@cf/baai/bge-small-en-v1.5", {"text": "two"})
    with pytest.raises(AiCallLimitReached, match=r"already made 2 of the 2 allowed \(FLAREBIND_AI_MAX_CALLS"):
        await ai.run("@cf/meta/llama-3.1-8b-instruct", {"prompt": "three"})
    assert USAGE.total == 2
    # 1000 prompt + 2000 completion tokens at the published llama-3.1-8b rates; bge's answer reports no usage
    assert USAGE.neurons == pytest.approx((1000 * 25608 + 2000 * 75147) / 1e6)
    assert USAGE.summary() == (
        "Workers AI: 2 remote calls (@cf/meta/llama-3.1-8b-instruct ×1, @cf/baai/bge-small-en-v1.5 ×1), "
        "≈175.9 neurons (+1 calls without one)"
    )
