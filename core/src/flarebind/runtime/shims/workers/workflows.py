"""``workers.workflows``: names Workflow code imports (the engine is flarebind.runtime.workflows)."""

from flarebind.runtime.sdk.workers_extras import NonRetryableError

__all__ = ["NonRetryableError"]
