"""The errors a Vectorize binding raises, in Cloudflare's format.

The Workers binding reports a failed operation as a plain JS ``Error`` whose message is ``<OP>_ERROR (code = <n>):
<text>`` (workerd's ``vectorize-api.ts``), ``OP`` one of ``INDEX_GET``, ``VECTOR_QUERY``, ``VECTOR_INSERT``,
``VECTOR_UPSERT``, ``VECTOR_GET``, ``VECTOR_DELETE``. Codes and texts seen from production are used as they are (see
docs/bindings/vectorize.md, which lists which texts were observed and which are ours).
"""

from __future__ import annotations

from flarebind.plugin import FlarebindError, JsException

# codes observed from the service (production error messages quoted in public code)
QUERY_DIMENSIONS = 40006
INSERT_DIMENSIONS = 40012
TOO_MANY_IDS = 40007
TOP_K_LIMIT = 40025
BAD_OPTION = 40026
# codes we could not observe: one per class of mistake, documented as flarebind's
BAD_VECTOR = 40001
BAD_FILTER = 40003
BAD_METADATA = 40004
BAD_ID = 40005
TOO_MANY_VECTORS = 40008
BAD_NAMESPACE = 40009


def vector_error(op: str, code: int, text: str) -> JsException:
    """``VECTOR_QUERY_ERROR (code = 40006): invalid query vector, …`` as workerd builds it from the service reply."""
    return JsException(f"{op}_ERROR (code = {code}): {text}")


class IndexNotFound(FlarebindError):
    """A local index that was never created: says how to create it (there is no implicit creation on Cloudflare)."""

    def __init__(self, name: str, where: str) -> None:
        super().__init__(
            f'Vectorize index "{name}" does not exist locally ({where}). Create it with `flarebind vectorize create '
            f"{name} --dimensions <n> --metric <cosine|euclidean|dot-product>` (or `--preset`), then retry."
        )
        self.index_name = name


class IndexExists(FlarebindError):
    def __init__(self, name: str) -> None:
        super().__init__(f'A Vectorize index named "{name}" already exists locally.')
        self.index_name = name
