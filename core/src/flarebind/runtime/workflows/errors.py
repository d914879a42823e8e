"""Workflow errors, with the names and texts the local engine (workers-sdk's workflows-shared) uses."""

from __future__ import annotations

import builtins
from typing import Any

from flarebind.errors import JsException


class WorkflowError(JsException):
    def __init__(self, message: str) -> None:
        super().__init__(message, "WorkflowError")


class WorkflowTimeoutError(JsException):
    def __init__(self, message: str) -> None:
        super().__init__(message, "WorkflowTimeoutError")


class WorkflowFatalError(JsException):
    def __init__(self, message: str) -> None:
        super().__init__(message, "WorkflowFatalError")


def instance_error(message: str, code: str) -> WorkflowError:
    """``(instance.cannot_terminate) Cannot terminate …``: the engine's ``createWorkflowError`` shape."""
    return WorkflowError(f"({code}) {message}")


NON_RETRYABLE_UNHANDLED = (
    "The execution of the Workflow instance was terminated, as a step threw an NonRetryableError and it was not handled"
)
INVALID_ID = "Workflow instance has invalid id"
NOT_FOUND = "instance.not_found"


def error_record(exc: BaseException) -> dict[str, str]:
    """``{name, message}`` as Cloudflare reports an error (JS name; Python built-ins keep theirs)."""
    name = getattr(exc, "name", None)
    if not isinstance(name, str):
        name = type(exc).__name__
        if name == "Exception":
            name = "Error"
    message = getattr(exc, "message", None)
    if not isinstance(message, str):
        message = str(exc)
    return {"name": name, "message": message}


def is_non_retryable(exc: BaseException) -> bool:
    record = error_record(exc)
    return record["name"] == "NonRetryableError" or record["message"].startswith("NonRetryableError")


def rebuild(record: dict[str, Any]) -> BaseException:
    """The exception ``run`` sees for a stored step error: built-in types keep their class (as the SDK's
    ``_from_js_error``), ``NonRetryableError`` is itself, anything else a ``JsException`` with its name."""
    name = str(record.get("name") or "Error")
    message = str(record.get("message") or "")
    if name == "NonRetryableError":
        from flarebind.runtime.sdk.workers_extras import NonRetryableError

        return NonRetryableError(message)
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception) and cls is not Exception:
        try:
            return cls(message)
        except Exception:
            pass
    return JsException(message, name)
