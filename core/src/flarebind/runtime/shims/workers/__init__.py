"""flarebind's stand-in for Cloudflare's ``workers`` SDK module (served only inside the runner)."""

from typing import Any

from flarebind.runtime.sdk.blob import Blob, File, FormData
from flarebind.runtime.sdk.context import ExecutionContext as Context
from flarebind.runtime.sdk.entrypoints import DurableObject, WorkerEntrypoint, WorkflowEntrypoint, handler
from flarebind.runtime.sdk.fetch import fetch
from flarebind.runtime.sdk.headers import Headers
from flarebind.runtime.sdk.htmlrewriter import HTMLRewriter
from flarebind.runtime.sdk.request import Request
from flarebind.runtime.sdk.response import FetchResponse, Response
from flarebind.runtime.sdk.types import (
    BlobEnding,
    BlobValue,
    Body,
    FetchKwargs,
    FormDataValue,
    JSBody,
    RequestInitCfProperties,
)
from flarebind.runtime.sdk.workers_extras import (
    import_from_javascript,
    patch_env,
    python_from_rpc,
    python_to_rpc,
)

__all__ = [
    "Blob",
    "BlobEnding",
    "BlobValue",
    "Body",
    "Context",
    "DurableObject",
    "FetchKwargs",
    "FetchResponse",
    "File",
    "FormData",
    "FormDataValue",
    "HTMLRewriter",
    "Headers",
    "JSBody",
    "Request",
    "RequestInitCfProperties",
    "Response",
    "WorkerEntrypoint",
    "WorkflowEntrypoint",
    "env",
    "fetch",
    "handler",
    "import_from_javascript",
    "patch_env",
    "python_from_rpc",
    "python_to_rpc",
    "waitUntil",
    "wait_until",
]


def __getattr__(name: str) -> Any:
    from flarebind.runtime.sdk import workers_extras

    return workers_extras.module_attribute(name)
