"""The spend guard: remote Workers AI calls counted per process, with a neuron estimate, and a cap.

Workers AI bills even in local development. Every remote ``run`` is counted with its model; when the answer
reports token usage and Cloudflare publishes the model's rate (the pricing page,
https://developers.cloudflare.com/workers-ai/platform/pricing/, "neurons per M input/output tokens"), the neurons
are estimated too. ``FLAREBIND_AI_MAX_CALLS`` (``flarebind dev --ai-max-calls N``) refuses calls beyond N with a
clear error, so a runaway loop in dev or a test suite cannot spend money; ``flarebind dev`` prints
:func:`summary` when it exits.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections import Counter
from typing import Any

from flarebind_ai.errors import AiCallLimitReached, AiConfigError

MAX_CALLS_ENV = "FLAREBIND_AI_MAX_CALLS"
SUMMARY_ENV = "FLAREBIND_AI_SUMMARY"  # set by `flarebind dev`: print the summary when the process exits

# neurons per million (input, output) tokens, from Cloudflare's pricing page (2025 table)
NEURONS_PER_M_TOKENS: dict[str, tuple[float, float]] = {
    "@cf/meta/llama-3.2-1b-instruct": (2457, 18252),
    "@cf/meta/llama-3.2-3b-instruct": (4625, 30475),
    "@cf/meta/llama-3.1-8b-instruct-fp8-fast": (4119, 34868),
    "@cf/meta/llama-3.2-11b-vision-instruct": (4410, 61493),
    "@cf/meta/llama-3.1-70b-instruct-fp8-fast": (26668, 204805),
    "@cf/meta/llama-3.3-70b-instruct-fp8-fast": (26668, 204805),
    "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b": (45170, 443756),
    "@cf/mistral/mistral-7b-instruct-v0.1": (10000, 17300),
    "@cf/meta/llama-3.1-8b-instruct": (25608, 75147),
    "@cf/meta/llama-3.1-8b-instruct-fp8": (13778, 26128),
    "@cf/meta/llama-3.1-8b-instruct-awq": (11161, 24215),
    "@cf/meta/llama-3-8b-instruct": (25608, 75147),
    "@cf/meta/llama-3-8b-instruct-awq": (11161, 24215),
    "@cf/meta/llama-2-7b-chat-fp16": (50505, 606061),
    "@cf/huggingface/distilbert-sst-2-int8": (2394, 0),
    "@cf/baai/bge-small-en-v1.5": (1841, 0),
    "@cf/baai/bge-base-en-v1.5": (6058, 0),
    "@cf/baai/bge-large-en-v1.5": (18582, 0),
    "@cf/meta/m2m100-1.2b": (31050, 31050),
}


def max_calls() -> int | None:
    raw = os.environ.get(MAX_CALLS_ENV)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise AiConfigError(f"{MAX_CALLS_ENV} must be a whole number of calls, not {raw!r}") from None
    if value < 0:
        raise AiConfigError(f"{MAX_CALLS_ENV} must be 0 or more, not {value}")
    return value


def estimate_neurons(model: str, result: Any) -> float | None:
    rates = NEURONS_PER_M_TOKENS.get(model)
    usage = result.get("usage") if isinstance(result, dict) else None
    if rates is None or not isinstance(usage, dict):
        return None
    prompt = usage.get("prompt_tokens") or 0
    completion = usage.get("completion_tokens") or 0
    return (prompt * rates[0] + completion * rates[1]) / 1_000_000


class Usage:
    """Remote calls of this process: how many per model, and the neurons estimated where possible."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.neurons = 0.0
        self.unestimated = 0
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def admit(self, model: str) -> None:
        """Count a call about to be made, or refuse it when the cap is reached."""
        cap = max_calls()
        with self._lock:
            if cap is not None and self.total >= cap:
                raise AiCallLimitReached(
                    f"flarebind refused a remote Workers AI call to {model}: this session already made {self.total} "
                    f"of the {cap} allowed ({MAX_CALLS_ENV} / --ai-max-calls). Raise the limit, or point the "
                    "binding at a local model (--ai-provider)."
                )
            self.calls[model] += 1
            if self.total == 1 and os.environ.get(SUMMARY_ENV):
                atexit.register(self._print_summary)

    def settle(self, model: str, result: Any) -> None:
        neurons = estimate_neurons(model, result)
        with self._lock:
            if neurons is None:
                self.unestimated += 1
            else:
                self.neurons += neurons

    def summary(self) -> str | None:
        if not self.total:
            return None
        per_model = ", ".join(f"{m} ×{n}" for m, n in self.calls.most_common())
        estimate = f"≈{self.neurons:.1f} neurons" if self.neurons else "no neuron estimate"
        if self.neurons and self.unestimated:
            estimate += f" (+{self.unestimated} calls without one)"
        return f"Workers AI: {self.total} remote call{'s' * (self.total != 1)} ({per_model}), {estimate}"

    def _print_summary(self) -> None:
        line = self.summary()
        if line:
            print(line, file=sys.stderr, flush=True)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.neurons = 0.0
            self.unestimated = 0


USAGE = Usage()
