"""R2's error codes and texts, and the exception the binding raises for them.

The R2 service answers with a v4 code and a message; the Workers runtime turns that into a plain JS ``Error`` whose
message is ``<action>: <message> (<code>)``, e.g. ``put: The specified object name is not valid. (10020)``.
"""

from __future__ import annotations

from flarebind.plugin import JsException

INTERNAL_ERROR = 10001
NO_SUCH_KEY = 10007
ENTITY_TOO_LARGE = 100100
ENTITY_TOO_SMALL = 10011
METADATA_TOO_LARGE = 10012
INVALID_OBJECT_NAME = 10020
INVALID_MAX_KEYS = 10022
NO_SUCH_UPLOAD = 10024
INVALID_PART = 10025
INVALID_ARGUMENT = 10029
PRECONDITION_FAILED = 10031
BAD_DIGEST = 10037
INVALID_RANGE = 10039
BAD_UPLOAD = 10048

MESSAGES = {
    INTERNAL_ERROR: "We encountered an internal error. Please try again.",
    NO_SUCH_KEY: "The specified key does not exist.",
    ENTITY_TOO_LARGE: "Your proposed upload exceeds the maximum allowed object size.",
    ENTITY_TOO_SMALL: "Your proposed upload is smaller than the minimum allowed object size.",
    METADATA_TOO_LARGE: "Your metadata headers exceed the maximum allowed metadata size.",
    INVALID_OBJECT_NAME: "The specified object name is not valid.",
    INVALID_MAX_KEYS: "MaxKeys params must be positive integer <= 1000.",
    NO_SUCH_UPLOAD: "The specified multipart upload does not exist.",
    INVALID_PART: "One or more of the specified parts could not be found.",
    INVALID_ARGUMENT: "Metadata missing or invalid",
    PRECONDITION_FAILED: "At least one of the pre-conditions you specified did not hold.",
    INVALID_RANGE: "The requested range is not satisfiable",
    BAD_UPLOAD: "There was a problem with the multipart upload.",
}


class R2Error(JsException):
    """A service-side R2 failure as user code sees it: a JS ``Error`` with the action and v4 code in the message.

    ``code`` is the v4 code and ``detail`` the service message without the action prefix, for callers (the CLI, the
    remote adapter) that need them separately.
    """

    def __init__(self, action: str, code: int, detail: str | None = None) -> None:
        self.action = action
        self.code = code
        self.detail = MESSAGES[code] if detail is None else detail
        super().__init__(f"{action}: {self.detail} ({code})")


class PreconditionFailed(R2Error):
    """Raised inside the store; the bucket turns it into ``None`` (put) or a body-less object (get)."""

    def __init__(self, action: str) -> None:
        super().__init__(action, PRECONDITION_FAILED)


def bad_digest(action: str, algorithm: str, provided: bytes, actual: bytes) -> R2Error:
    detail = "\n".join(
        (
            f"The {algorithm} checksum you specified did not match what we received.",
            f"You provided a {algorithm} checksum with value: {provided.hex()}",
            f"Actual {algorithm} was: {actual.hex()}",
        )
    )
    return R2Error(action, BAD_DIGEST, detail)
