"""`flarebind dev --ai-provider URL`: a Worker returning `env.AI.run(..., {"stream": True})` as its response body
streams the local model's tokens, end to end over HTTP, in Workers AI's event format."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ -> `fakes` importable

from fakes.openai_server import OpenAIStandIn

from .devproc import DevProcess

CONFIG = """\
name = "ai-stream"
main = "src/entry.py"
compatibility_date = "2025-09-01"

[ai]
binding = "AI"
"""
WORKER = """\
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        stream = await self.env.AI.run("@cf/meta/llama-3.1-8b-instruct", {"prompt": "hi", "stream": True})
        return Response(stream, headers={"content-type": "text/event-stream"})
"""


def test_streamed_ai_response_under_dev_with_a_local_provider(tmp_path: Path, clean_env: dict[str, str]) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    env = {k: v for k, v in clean_env.items() if not k.startswith(("CLOUDFLARE_", "FLAREBIND_AI"))}
    with OpenAIStandIn() as model_server:
        dev = DevProcess(tmp_path, "--ai-provider", model_server.url, env=env)
        try:
            dev.wait_for_output("Ready on")
            assert f"local (OpenAI-compatible server at {model_server.url})" in dev.output
            with dev.client.stream("GET", "/") as response:
                assert response.status_code == 200
                assert response.headers["content-type"] == "text/event-stream"
                events = [line for line in response.iter_lines() if line]
        finally:
            assert dev.stop() == 0, dev.output
    assert events[0] == 'data: {"response":"Hello"}'
    assert events[-1] == "data: [DONE]"
    assert model_server.requests[-1]["body"]["stream"] is True


REMOTE_CONFIG = """\
name = "ai-remote"
main = "src/entry.py"
compatibility_date = "2025-09-01"

[ai]
binding = "FB_AI"
remote = true
"""
REMOTE_WORKER = """\
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        result = await self.env.FB_AI.run("@cf/meta/llama-3.1-8b-instruct", {"prompt": "hi"})
        return Response(result["response"])
"""


@pytest.mark.wrangler
@pytest.mark.remote
def test_remote_ai_calls_are_capped_and_summarised_on_exit(tmp_path: Path, clean_env: dict[str, str]) -> None:
    from flarebind.testing.remote_proxy import shared_dev_proxy

    proxy = shared_dev_proxy()  # its FB_AI is a JS stand-in for Workers AI
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(REMOTE_WORKER)
    (tmp_path / "wrangler.toml").write_text(REMOTE_CONFIG)
    env = {k: v for k, v in clean_env.items() if not k.startswith(("CLOUDFLARE_", "FLAREBIND_AI"))}
    env.update(FLAREBIND_REMOTE_PROXY_URL=proxy.url, FLAREBIND_REMOTE_PROXY_SECRET=proxy.secret)
    dev = DevProcess(tmp_path, "--ai-max-calls", "1", env=env)
    try:
        dev.wait_for_output("Ready on")
        assert dev.get("/").text == "echo: hi"
        refused = dev.get("/")
        assert refused.status_code == 500
        assert "already made 1 of the 1 allowed" in refused.text + dev.output
    finally:
        assert dev.stop() == 0, dev.output
    assert "Workers AI: 1 remote call (@cf/meta/llama-3.1-8b-instruct ×1), ≈175.9 neurons" in dev.output
