"""``workers.rpc``: the SDK's wrapper classes and RPC conversions."""

from flarebind.runtime.sdk.rpc import (
    JsDict,
    _BindingWrapper,
    _DurableObjectNamespaceWrapper,
    _EnvWrapper,
    _FetcherWrapper,
    _RpcStubWrapper,
    python_from_rpc,
    python_to_rpc,
)

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
