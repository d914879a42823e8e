"""``workers.rpc``: the SDK's binding wrapper classes, as the types Worker code and tests check against.

In Cloudflare's SDK, ``env.X`` wraps JS binding objects: KV, R2, D1, Queues, AI, Vectorize, Analytics Engine, Images
and rate limiters in ``_BindingWrapper`` (arguments and results converted; JS class instances a call returns, such as
D1 statements and R2 objects, wrapped again); Fetchers (service bindings, ``ASSETS``, mTLS, Browser, Durable Object
stubs) in ``_FetcherWrapper``; functions and RpcTargets returned over RPC in ``_RpcStubWrapper``; ``env`` itself is an
``_EnvWrapper``. flarebind's binding objects are already Python (they convert as the wrappers do), so instead of a
second layer these classes recognise them: ``isinstance(env.KV, _BindingWrapper)`` is true for a binding object or a
binding-produced object, ``isinstance(env.ASSETS, _FetcherWrapper)`` for one with ``fetch``. Constructing a wrapper
around any object also works (a transparent, idempotent proxy), as code that wraps by hand expects.
"""

from __future__ import annotations

from typing import Any

from flarebind.jsobject import JsObject
from flarebind.runtime.sdk.workers_extras import python_from_rpc, python_to_rpc

__all__ = [
    "JsDict",
    "_BindingWrapper",
    "_DurableObjectNamespaceWrapper",
    "_EnvWrapper",
    "_FetcherWrapper",
    "_RpcStubWrapper",
    "python_from_rpc",
    "python_to_rpc",
]

# The SDK's JsDict: a dict with attribute access (``results.results[0]``), which flarebind's JsObject is.
JsDict = JsObject

# where binding objects and the objects their calls return are defined: a binding plugin (``flarebind_kv`` …), the
# remote adapters, or the runtime's own simulators (assets, services, queues, workflows, Durable Objects, Worker
# Loader); plain data (dict/JsObject, list, str, bytes, memoryview, numbers, None) never counts
_BINDING_MODULE_PREFIXES = (
    "flarebind_",
    "flarebind.remote.",
    "flarebind.runtime.assets.",
    "flarebind.runtime.services.",
    "flarebind.runtime.queues.",
    "flarebind.runtime.workflows.",
    "flarebind.runtime.durable_objects.",
    "flarebind.runtime.worker_loader",
)
_DATA = (dict, list, tuple, str, bytes, bytearray, memoryview, int, float, bool, type(None))


# binding types (config type names) the SDK's env wrapper wraps, by wrapper: JS KvNamespace, R2Bucket, D1Database,
# WorkerQueue, Ai, VectorizeIndexImpl, AnalyticsEngineDataset, ImagesBindingImpl, Ratelimit; and the Fetchers
SDK_WRAPPED_TYPES = frozenset(
    {"kv_namespace", "r2_bucket", "d1", "queue", "ai", "vectorize", "analytics_engine", "images", "ratelimit"}
)
SDK_FETCHER_TYPES = frozenset({"service", "assets", "mtls_certificate", "browser"})


def _stand_in_type(obj: Any) -> str | None:
    """The binding type an unavailable binding (not simulated here) stands in for; its attributes all raise."""
    from flarebind.platform import UnavailableBinding

    if isinstance(obj, UnavailableBinding):
        return obj.__dict__.get("_type_name")
    return None


def is_binding_object(obj: Any) -> bool:
    """A binding, or a JS-class-like object a binding call returned (D1 statement, R2 object, multipart upload)."""
    if isinstance(obj, (*_DATA, _Wrapper, type)):
        return False
    stand_in = _stand_in_type(obj)
    if stand_in is not None:
        return stand_in in SDK_WRAPPED_TYPES or stand_in in SDK_FETCHER_TYPES
    module = type(obj).__module__ or ""
    return module.startswith(_BINDING_MODULE_PREFIXES)


def is_fetcher(obj: Any) -> bool:
    stand_in = _stand_in_type(obj)
    if stand_in is not None:
        return stand_in in SDK_FETCHER_TYPES
    return is_binding_object(obj) and callable(getattr(type(obj), "fetch", None))


class _WrapperMeta(type):
    """``isinstance`` answers for flarebind's own binding objects too (see the module docstring)."""

    def __instancecheck__(cls, obj: Any) -> bool:
        if type.__instancecheck__(cls, obj):
            return True
        recognise = cls.__dict__.get("_recognises")
        return bool(recognise is not None and recognise(obj))


class _Wrapper(metaclass=_WrapperMeta):
    """A transparent proxy; wrapping a wrapper of the same class gives it back (the SDK's idempotent ``__new__``)."""

    _target: Any

    def __new__(cls, target: Any) -> Any:
        if type.__instancecheck__(cls, target):
            return target
        instance = object.__new__(cls)
        object.__setattr__(instance, "_target", target)
        return instance

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, int):
            return self._target[key]
        return getattr(self._target, key)

    def __bool__(self) -> bool:
        return self._target is not None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._target!r}>"


class _BindingWrapper(_Wrapper):
    """A binding (KV, R2, D1, Queue, AI, Vectorize, …) or a JS class instance one returned."""

    @staticmethod
    def _recognises(obj: Any) -> bool:
        return is_binding_object(obj)


class _FetcherWrapper(_BindingWrapper):
    """A Fetcher: service binding, ``ASSETS``, mTLS certificate, Browser, Durable Object stub."""

    @staticmethod
    def _recognises(obj: Any) -> bool:
        return is_fetcher(obj)


class _RpcStubWrapper(_BindingWrapper):
    """A function or RpcTarget received over RPC: callable."""

    @staticmethod
    def _recognises(obj: Any) -> bool:
        return is_binding_object(obj) and _stand_in_type(obj) is None and callable(obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._target(*args, **kwargs)


class _DurableObjectNamespaceWrapper(_Wrapper):
    """A Durable Object namespace: ``get`` / ``getByName`` give stubs."""


class _EnvWrapper(_Wrapper):
    """``env``: bindings by attribute."""

    @staticmethod
    def _recognises(obj: Any) -> bool:
        from flarebind.platform import Env
        from flarebind.runtime.sdk.workers_extras import _PatchedEnv

        return isinstance(obj, (Env, _PatchedEnv))
