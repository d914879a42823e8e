"""The Images binding's errors: ``ImagesError`` with a numeric ``code``, worded as the Workers runtime words them.

workerd's ``images-api`` turns a failed backend answer into ``IMAGES_<OPERATION>_<body>`` where the body reads
``ERROR <code>: <text>`` (Miniflare's local backend writes ``ERROR <code>: ERROR: <text>``; we follow it so the same
conformance test passes on both). The codes are Cloudflare's documented ones (images/reference/troubleshooting):
9401 bad options, 9402 input too large, 9412 not an image, 9413 over the pixel-area limit, 9520 unsupported format,
9523 the transformation failed, 9525 a transformer used twice.
"""

from __future__ import annotations

from flarebind.plugin import JsException

BAD_OPTIONS = 9401
TOO_LARGE = 9402
NOT_AN_IMAGE = 9412
TOO_MANY_PIXELS = 9413
UNSUPPORTED = 9520
FAILED = 9523
CONSUMED = 9525

CONSUMED_MESSAGE = (
    "IMAGES_TRANSFORM_ERROR 9525: ImageTransformer consumed; you may only call .output() or draw a transformer once"
)


class ImagesError(JsException):
    """What ``env.IMAGES`` throws: a JS ``Error`` with ``code`` (``ImagesError`` in workerd's types)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message, "Error")
        self.code = code


def images_error(operation: str, code: int, text: str) -> ImagesError:
    """``IMAGES_TRANSFORM_ERROR 9401: ERROR: <text>`` (operation ``TRANSFORM`` or ``INFO``)."""
    return ImagesError(f"IMAGES_{operation}_ERROR {code}: ERROR: {text}", code)


def consumed() -> ImagesError:
    return ImagesError(CONSUMED_MESSAGE, CONSUMED)


class EngineError(Exception):
    """Raised inside the engine (no operation known yet); the binding words it for ``info`` or ``output``."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text

    def for_operation(self, operation: str) -> ImagesError:
        return images_error(operation, self.code, self.text)
