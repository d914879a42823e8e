"""Errors of the Workers AI binding, named as the Workers runtime names them.

Workers raises ``InferenceUpstreamError`` when the inference service answers with an error (message
``<code>: <description>``) and ``AiInternalError`` for misuse detected in the Worker itself (workerd's
``src/cloudflare/internal/ai-api.ts``). flarebind adds two of its own: a local provider that cannot be reached, and
the spend guard's refusal; both are plain errors with a message that says what to do.
"""

from __future__ import annotations

from flarebind.plugin import FlarebindError, JsException


class InferenceUpstreamError(JsException):
    def __init__(self, message: str) -> None:
        super().__init__(message, "InferenceUpstreamError")


class AiInternalError(JsException):
    def __init__(self, message: str) -> None:
        super().__init__(message, "AiInternalError")


class AiProviderUnavailable(InferenceUpstreamError):
    """The local provider could not be reached or did not answer in time; the message names its URL."""


class AiCallLimitReached(FlarebindError):
    """The spend guard refused a remote Workers AI call (``--ai-max-calls``)."""


class AiConfigError(FlarebindError):
    """A provider or model map setting is unusable; the message names the setting and the fix."""
