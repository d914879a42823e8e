"""Where Durable Objects live: one host per runtime context, one record per object id, at most one instance each.

Execution model (workerd's): events to one object run on the runtime's single event loop and interleave only at
``await`` points on real I/O; storage calls never yield, so the input gate holds naturally, and
``blockConcurrencyWhile`` closes it explicitly. Before a result leaves the object its pending writes commit (the
output gate). An object idle for ``evict_after`` seconds (10 s, as workerd) is evicted: its instance is dropped and
its file closed; hibernatable WebSockets stay connected and the next event re-runs the constructor. A constructor
or ``blockConcurrencyWhile`` callback that throws, and ``ctx.abort()``, reset the object the same way.
"""

from __future__ import annotations

import asyncio
import inspect
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from flarebind.errors import JsException
from flarebind.runtime.durable_objects.alarms import AlarmScheduler
from flarebind.runtime.durable_objects.ids import IdFactory
from flarebind.runtime.durable_objects.storage import DurableObjectStorage, _Connection
from flarebind.runtime.websockets.socket import current_object

EVICT_AFTER = 10.0
MAX_QUEUED = 1000  # events waiting for one object before callers get "overloaded"
OVERLOADED = "Durable Object is overloaded. Too many requests queued."


class DurableObjectAbort(BaseException):
    """Raised by ``ctx.abort()`` (a BaseException, as in the SDK, so user ``except Exception`` does not catch it)."""


# id(LocalContext) -> host (contexts are unhashable attrs classes); an entry leaves when its context is disposed
_hosts: dict[int, DurableObjectHost] = {}


def host_of(ctx: Any) -> DurableObjectHost | None:
    host = _hosts.get(id(ctx))
    return host if host is not None and host.ctx is ctx else None


def host_for(ctx: Any) -> DurableObjectHost:
    """The host of a runtime's :class:`~flarebind.bindings.context.LocalContext` (created on first use)."""
    host = host_of(ctx)
    if host is None:
        host = _hosts[id(ctx)] = DurableObjectHost(ctx)
        ctx.add_cleanup(host.dispose)
    return host


class DurableObjectHost:
    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.runtime: Any = None
        self.namespaces: dict[str, NamespaceState] = {}
        self.evict_after = EVICT_AFTER
        self.max_queued = MAX_QUEUED

    def attach(self, runtime: Any) -> None:
        """Serve objects from ``runtime``'s Worker; a (re)load restarts every instance with the new code."""
        self.runtime = runtime
        for namespace in self.namespaces.values():
            for record in namespace.records.values():
                record.reset()
            namespace.alarms.start_soon()

    def namespace(self, worker_name: str, class_name: str, use_sqlite: bool) -> NamespaceState:
        key = f"{worker_name}-{class_name}"
        state = self.namespaces.get(key)
        if state is None:
            folder = None if self.ctx.in_memory else self.ctx.v3_dir("do", key)
            if folder is not None:
                root = self.ctx.v3_dir("do").resolve()
                if folder.resolve().parent != root:
                    raise ValueError(f"Durable Object state folder {key!r} would be outside {root}")
            state = self.namespaces[key] = NamespaceState(self, key, class_name, use_sqlite, folder)
        return state

    def log_error(self, exc: BaseException, where: str) -> None:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        log = getattr(self.runtime, "log", None) or print
        log(f"✘ [ERROR] Uncaught exception in {where}:\n{text}")

    async def dispose(self) -> None:
        if _hosts.get(id(self.ctx)) is self:
            del _hosts[id(self.ctx)]
        for namespace in self.namespaces.values():
            await namespace.close()
        self.namespaces.clear()


class NamespaceState:
    """One Durable Object class of one Worker (``<worker>-<Class>``): its ids, records and alarms."""

    def __init__(self, host: DurableObjectHost, unique_key: str, class_name: str, sql: bool, folder: Path | None):
        self.host = host
        self.unique_key = unique_key
        self.class_name = class_name
        self.sql = sql
        self.folder = folder
        self.ids = IdFactory(unique_key)
        self.records: dict[str, ObjectRecord] = {}
        self.alarms = AlarmScheduler(self, folder, host.ctx.clock)

    def record_for(self, hex_id: str, name: str | None = None) -> ObjectRecord:
        record = self.records.get(hex_id)
        if record is None:
            record = self.records[hex_id] = ObjectRecord(self, hex_id, name)
        elif name is not None and record.name is None:
            record.name = name
        return record

    def object_class(self) -> type:
        runtime = self.host.runtime
        worker = getattr(runtime, "worker", None)
        if worker is None:
            raise JsException(
                f"Durable Object class {self.class_name} cannot run: no Worker is loaded (Durable Objects run inside "
                "a flarebind Runtime / `flarebind dev`, not a platform proxy)",
                name="Error",
            )
        cls = getattr(worker.module, self.class_name, None)
        if not isinstance(cls, type):
            raise JsException(
                f"Cannot create binding for class '{self.class_name}' that is not exported by the script "
                f"'{worker.main.name}'",
                name="Error",
            )
        return cls

    async def close(self) -> None:
        await self.alarms.close()
        for record in list(self.records.values()):
            record.close()
        self.records.clear()


class ObjectRecord:
    """One object id: its storage (kept across evictions), its live instance if any, its hibernatable sockets."""

    def __init__(self, namespace: NamespaceState, hex_id: str, name: str | None) -> None:
        self.namespace = namespace
        self.hex = hex_id
        self.name = name
        folder = namespace.folder
        self.file = _Connection(None if folder is None else folder / f"{hex_id}.sqlite")
        self.storage = DurableObjectStorage(self, self.file, namespace.sql)
        self.alarms = namespace.alarms
        self.instance: Any = None
        self.state: Any = None
        self.pending = 0
        self.gate_closed = 0
        self._gate = asyncio.Event()
        self._gate.set()
        self.sockets: list[Any] = []  # hibernatable WebSockets accepted with ctx.acceptWebSocket
        self.auto_response: Any = None
        self.wait_until = 0
        self.live_sockets = 0  # sockets accepted with ws.accept() or opened outbound: they pin the instance
        self._evict: asyncio.TimerHandle | None = None
        self._constructing: asyncio.Future[Any] | None = None
        self._named = False
        self.reset_error: BaseException | None = None  # what a blockConcurrencyWhile callback threw

    @property
    def compat_delete_all_deletes_alarm(self) -> bool:
        date = self.namespace.host.ctx.compatibility_date
        flags = self.namespace.host.ctx.compatibility_flags
        return "delete_all_deletes_alarm" in flags or bool(date and date >= "2026-02-24")

    def has_alarm_handler(self) -> bool:
        try:
            cls = self.namespace.object_class()
        except JsException:
            return False
        return callable(getattr(cls, "alarm", None))

    def id(self) -> Any:
        from flarebind.runtime.durable_objects.ids import DurableObjectId

        return DurableObjectId(self.hex, self.name)

    # -- gates ----------------------------------------------------------------------------------------------------

    def close_gate(self) -> None:
        self.gate_closed += 1
        self._gate.clear()

    def open_gate(self) -> None:
        self.gate_closed -= 1
        if self.gate_closed <= 0:
            self.gate_closed = 0
            self._gate.set()

    async def wait_gate(self) -> None:
        while not self._gate.is_set():
            await self._gate.wait()

    # -- instances ------------------------------------------------------------------------------------------------

    async def ensure_instance(self) -> Any:
        if self.instance is not None:
            return self.instance
        if self._constructing is not None:
            return await asyncio.shield(self._constructing)
        loop = asyncio.get_running_loop()
        self._constructing = loop.create_future()
        try:
            instance = self._construct()
        except BaseException as exc:
            self._constructing.set_exception(exc)
            self._constructing.exception()  # retrieved: waiters re-raise it
            self._constructing = None
            self.reset()
            raise
        self.instance = instance
        self.reset_error = None
        self._constructing.set_result(instance)
        self._constructing = None
        return instance

    def _construct(self) -> Any:
        from flarebind.runtime.durable_objects.state import DurableObjectState

        cls: Any = self.namespace.object_class()
        runtime = self.namespace.host.runtime
        self._write_name()
        self.state = DurableObjectState(self)
        instance = cls.__new__(cls)
        instance.ctx = self.state
        instance.env = runtime._env
        with runtime._invocation():
            instance.__init__(self.state, runtime._env)
        return instance

    def _write_name(self) -> None:
        # Miniflare records an object's name in its file, which is how it restores ``ctx.id.name`` for alarms
        if self.name is None or self._named:
            return
        self._named = True
        conn = self.storage._write_connection()
        conn.execute("CREATE TABLE IF NOT EXISTS __miniflare_do_name (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT OR REPLACE INTO __miniflare_do_name (id, name) VALUES (1, ?)", (self.name,))

    def restore_name(self) -> None:
        if self.name is not None or self.file.path is None or not self.file.path.exists():
            return
        try:
            row = self.storage._connection().execute("SELECT name FROM __miniflare_do_name WHERE id = 1").fetchone()
        except Exception:
            return
        if row:
            self.name = row[0]
            self._named = True

    async def deliver(self, call: Callable[[Any], Awaitable[Any]]) -> Any:
        """Run one event (``call(instance)``) on this object, with the gates, and return its result."""
        if self.pending >= self.namespace.host.max_queued:
            raise JsException(OVERLOADED, name="Error")
        self.pending += 1
        self._cancel_eviction()
        try:
            await self.wait_gate()
            instance = await self.ensure_instance()
            await self.wait_gate()  # e.g. the constructor's blockConcurrencyWhile
            if self.instance is not instance:
                # its callback threw and reset the object: the waiting events fail with that error, as in workerd
                raise self.reset_error or JsException("Durable Object reset while the event waited.", name="Error")
            runtime = self.namespace.host.runtime
            token = current_object.set(self)
            try:
                with runtime._invocation():
                    result = await call(instance)
            finally:
                current_object.reset(token)
            self.storage.flush()  # output gate: nothing leaves before its writes are durable
            return result
        except DurableObjectAbort as exc:
            raise JsException(str(exc) or "Application called abort() to reset Durable Object.", name="Error") from None
        finally:
            self.pending -= 1
            self.schedule_eviction()

    async def deliver_alarm(self, retry_count: int) -> None:
        from flarebind.jsobject import JsObject
        from flarebind.runtime.sdk.calling import relaxed_call

        self.restore_name()

        async def call(instance: Any) -> None:
            handler = getattr(instance, "alarm", None)
            if handler is None:
                return
            result = relaxed_call(handler, (JsObject(retryCount=retry_count, isRetry=retry_count > 0),))
            if inspect.isawaitable(result):
                await result

        await self.deliver(call)

    def abort(self, reason: Any = None) -> None:
        self.storage.discard()
        self.reset()

    def reset(self) -> None:
        """Drop the instance: the next event constructs it again (storage and hibernatable sockets stay)."""
        self.instance = None
        self.state = None
        self.gate_closed = 0
        self._gate.set()

    # -- eviction -------------------------------------------------------------------------------------------------

    def _cancel_eviction(self) -> None:
        if self._evict is not None:
            self._evict.cancel()
            self._evict = None

    def schedule_eviction(self) -> None:
        self._cancel_eviction()
        if self.pending or self.instance is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._evict = loop.call_later(self.namespace.host.evict_after, self.evict)

    def evictable(self) -> bool:
        return not (self.pending or self.wait_until or self.live_sockets or self.gate_closed)

    def evict(self) -> bool:
        """Evict if idle: drop the instance and close the file (hibernatable sockets stay open)."""
        self._evict = None
        if not self.evictable():
            self.schedule_eviction() if self.instance is not None else None
            return False
        self.storage.flush()
        self.reset()
        if self.file.path is not None and not self.sockets and not self.alarms.get(self):
            self.file.close()
        return True

    def close(self) -> None:
        self._cancel_eviction()
        self.reset()
        for socket in list(self.sockets):
            socket._drop()
        self.storage.flush()
        self.file.close()
