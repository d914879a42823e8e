"""Durable Objects for Python Workers run in CPython, sharing wrangler's on-disk state.

Modules: ``ids`` (workerd's id derivation), ``v8`` (the value format workerd stores), ``migrations`` (SQL-enabled
classes; names that become paths), ``storage`` / ``sql`` / ``alarms`` (``ctx.storage``), ``state`` (``ctx``),
``host`` (instances, gates, eviction), ``rpc`` and ``namespace`` (the binding and its stubs), ``testing`` (the
``Runtime`` methods tests use). WebSockets live in :mod:`flarebind.runtime.websockets`.
"""
