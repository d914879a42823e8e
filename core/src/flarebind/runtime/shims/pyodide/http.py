"""``pyodide.http``."""

from flarebind.runtime.sdk.fetch import pyfetch
from flarebind.runtime.sdk.response import FetchResponse

__all__ = ["FetchResponse", "pyfetch"]
