"""Which local model answers a ``@cf/...`` model id, and which task a model performs.

Workers AI names models ``@cf/<author>/<name>``; a local server names them its own way (Ollama: ``llama3.1:8b``).
:data:`DEFAULT_MAP` covers the common families with Ollama's names; a project overrides or extends it with a JSON
object ``{"@cf/...": "local-name"}`` in ``FLAREBIND_AI_MODEL_MAP`` (a path) or ``.flarebind/ai-models.json`` next to
the config. A model that is neither mapped nor given by its local name (``local:<name>``) is a clear error.

The task decides the response shape: text generation answers ``{response, usage}`` (and streams
``data: {"response": …}`` events), text embeddings ``{shape, data, pooling}``. Other tasks (image, audio,
translation, …) have no OpenAI-compatible equivalent and are refused by that provider with a message naming the
task.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from flarebind_ai.errors import AiConfigError

MODEL_MAP_ENV = "FLAREBIND_AI_MODEL_MAP"
PROJECT_MAP = Path(".flarebind") / "ai-models.json"

DEFAULT_MAP: dict[str, str] = {
    # text generation (Ollama library names)
    "@cf/meta/llama-3.1-8b-instruct": "llama3.1:8b",
    "@cf/meta/llama-3.1-8b-instruct-fast": "llama3.1:8b",
    "@cf/meta/llama-3.1-70b-instruct": "llama3.1:70b",
    "@cf/meta/llama-3.2-1b-instruct": "llama3.2:1b",
    "@cf/meta/llama-3.2-3b-instruct": "llama3.2:3b",
    "@cf/meta/llama-3.3-70b-instruct-fp8-fast": "llama3.3:70b",
    "@cf/meta/llama-3-8b-instruct": "llama3:8b",
    "@cf/mistral/mistral-7b-instruct-v0.1": "mistral:7b",
    "@cf/mistral/mistral-7b-instruct-v0.2": "mistral:7b",
    "@cf/google/gemma-3-12b-it": "gemma3:12b",
    "@cf/google/gemma-7b-it": "gemma:7b",
    "@cf/qwen/qwen2.5-coder-32b-instruct": "qwen2.5-coder:32b",
    "@cf/qwen/qwq-32b": "qwq:32b",
    "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b": "deepseek-r1:32b",
    "@cf/microsoft/phi-2": "phi:2.7b",
    # text embeddings
    "@cf/baai/bge-small-en-v1.5": "bge-small-en-v1.5",
    "@cf/baai/bge-base-en-v1.5": "bge-base-en-v1.5",
    "@cf/baai/bge-large-en-v1.5": "bge-large:335m",
    "@cf/baai/bge-m3": "bge-m3",
}

TEXT_GENERATION = "Text Generation"
TEXT_EMBEDDINGS = "Text Embeddings"
# name fragments of Workers AI models whose task has no OpenAI-compatible endpoint
OTHER_TASKS = {
    "whisper": "Automatic Speech Recognition",
    "stable-diffusion": "Text-to-Image",
    "flux": "Text-to-Image",
    "dreamshaper": "Text-to-Image",
    "m2m100": "Translation",
    "bart-large-cnn": "Summarization",
    "resnet": "Image Classification",
    "distilbert-sst": "Text Classification",
    "bge-reranker": "Text Classification",
    "llava": "Image-to-Text",
    "uform": "Image-to-Text",
    "detr": "Object Detection",
    "melotts": "Text-to-Speech",
    "aura": "Text-to-Speech",
}


def task_of(model: str) -> str:
    name = model.lower()
    for fragment, task in OTHER_TASKS.items():
        if fragment in name:
            return task
    if any(f in name for f in ("bge-", "embedding", "embed")):
        return TEXT_EMBEDDINGS
    return TEXT_GENERATION


def load_model_map(project_dir: Path | None = None) -> tuple[dict[str, str], str | None]:
    """The default map updated with the user's file; also returns which file was read (for messages)."""
    merged = dict(DEFAULT_MAP)
    path: Path | None = None
    if os.environ.get(MODEL_MAP_ENV):
        path = Path(os.environ[MODEL_MAP_ENV])
    elif project_dir is not None and (project_dir / PROJECT_MAP).is_file():
        path = project_dir / PROJECT_MAP
    if path is None:
        return merged, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AiConfigError(f"{path}: not a readable model map ({exc}); it must be a JSON object of strings") from exc
    if not isinstance(data, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise AiConfigError(
            f'{path}: the model map must be a JSON object like {{"@cf/meta/llama-3.1-8b-instruct": "llama3.1"}}'
        )
    merged.update(data)
    return merged, str(path)


def local_model(model: str, model_map: Mapping[str, str], map_file: str | None) -> str:
    if model.startswith("local:"):
        return model.removeprefix("local:")
    if model in model_map:
        return model_map[model]
    where = map_file or f"{PROJECT_MAP} (or a file named by {MODEL_MAP_ENV})"
    raise AiConfigError(
        f'No local model is mapped for "{model}": add {{"{model}": "<local model name>"}} to {where}, '
        f'or call run("local:<name>", ...) with the local name.'
    )
