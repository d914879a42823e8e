"""The runtime tests' fixtures (``write_worker``, ``run_worker``: a ready in-memory Runtime, disposed after)."""

from tests.runtime.conftest import run_worker, write_worker

__all__ = ["run_worker", "write_worker"]
