"""``workers.workflows``: names Workflow code imports (Workflows themselves are not simulated yet)."""

from flarebind.runtime.sdk.workers_extras import NonRetryableError

__all__ = ["NonRetryableError"]
