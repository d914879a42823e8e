"""Queue hubs: the store and the brokers shared by every runtime of one state folder in this process.

Runtimes that share a persist folder (a producer Worker and a consumer Worker started side by side) share one hub,
so a message sent by one is delivered to the other; an in-memory runtime has a hub of its own. Consumers come from
``queues.consumers`` in the runtime's config, or from ``Runtime(queue_consumers=[...])``; Miniflare's rules apply
(one consumer per queue, a queue is not its own dead-letter queue). Messages sent while no consumer is attached are
kept and delivered once one attaches (Miniflare drops them; keeping them is a deliberate difference).
"""

from __future__ import annotations

from typing import Any

import attrs

from flarebind.config.diagnostics import ConfigError, Diagnostic
from flarebind.runtime.queues.broker import Broker
from flarebind.runtime.queues.store import QueueStore, queues_db_path

DEFAULT_BATCH_SIZE = 5
DEFAULT_BATCH_TIMEOUT = 1.0
DEFAULT_RETRIES = 2

_HUBS: dict[str, QueueHub] = {}


class QueueConfigError(ConfigError):
    """A ``queues.consumers`` entry Miniflare would refuse (``message`` is its text; shown like config errors)."""

    def __init__(self, message: str, file: Any = None, path: str | None = None) -> None:
        self.message = message
        super().__init__([Diagnostic("error", message, file=file, path=path)], file)


@attrs.define
class ConsumerSettings:
    queue: str
    max_batch_size: int = DEFAULT_BATCH_SIZE
    max_batch_timeout: float = DEFAULT_BATCH_TIMEOUT
    max_retries: int = DEFAULT_RETRIES
    dead_letter_queue: str | None = None
    retry_delay: int | None = None

    @classmethod
    def from_entry(cls, entry: dict[str, Any], file: Any, path: str) -> ConsumerSettings:
        def fail(message: str) -> QueueConfigError:
            return QueueConfigError(message, file, path)

        queue = entry.get("queue") if isinstance(entry, dict) else None
        if not isinstance(queue, str) or not queue:
            raise fail(f'{path}: a queue consumer needs "queue" (the name of the queue to consume)')

        def number(key: str, low: float, high: float, default: Any) -> Any:
            value = entry.get(key, default)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise fail(
                    f'{path}: "{key}" of the consumer of queue "{queue}" must be a number from {low:g} to {high:g}, '
                    f"got {value!r}"
                )
            return value

        dlq = entry.get("dead_letter_queue")
        if dlq is not None and dlq == queue:
            raise fail(f'Dead letter queue for queue "{queue}" cannot be itself')
        # max_concurrency and visibility_timeout_ms are accepted without effect: as in Miniflare, one batch per
        # queue is with the consumer at a time
        if entry.get("type") not in (None, "worker"):
            raise fail(
                f'{path}: consumer type {entry.get("type")!r} for queue "{queue}" is not simulated locally '
                "(only Worker consumers are; pull consumers are read over HTTP from Cloudflare)"
            )
        return cls(
            queue=queue,
            max_batch_size=int(number("max_batch_size", 1, 100, DEFAULT_BATCH_SIZE)),
            max_batch_timeout=float(number("max_batch_timeout", 0, 60, DEFAULT_BATCH_TIMEOUT)),
            max_retries=int(number("max_retries", 0, 100, DEFAULT_RETRIES)),
            dead_letter_queue=dlq,
            retry_delay=number("retry_delay", 0, 86400, None),
        )


class QueueHub:
    def __init__(self, key: str, store: QueueStore, clock: Any) -> None:
        self.key = key
        self.store = store
        self.clock = clock
        self.brokers: dict[str, Broker] = {}
        self.users = 0

    def now_ms(self) -> float:
        return float(self.clock()) * 1000

    def notify(self, queue: str | None) -> None:
        broker = self.brokers.get(queue) if queue is not None else None
        if broker is not None:
            broker.wake.set()

    async def drain(self, queue: str | None = None) -> int:
        """Deliver every visible message of ``queue`` (or of every consumed queue) now; returns how many."""
        total = 0
        while True:
            round_total = 0
            for name, broker in list(self.brokers.items()):
                if queue is None or name == queue or name == self._dlq_of(queue):
                    round_total += await broker.drain()
            total += round_total
            if not round_total:
                return total

    def _dlq_of(self, queue: str | None) -> str | None:
        broker = self.brokers.get(queue) if queue is not None else None
        return broker.settings.dead_letter_queue if broker is not None else None

    async def close(self) -> None:
        for broker in list(self.brokers.values()):
            await broker.stop()
        self.brokers.clear()
        self.store.close()


def hub_for(ctx: Any) -> QueueHub:
    """The hub of ``ctx``'s state folder (created on first use; closed when its last context is disposed)."""
    if ctx.in_memory or ctx.persist_to is None:
        key, path = f"memory:{id(ctx)}", None
    else:
        path = queues_db_path(ctx.v3_dir()).resolve()
        key = str(path)
    hub = _HUBS.get(key)
    if hub is None:
        hub = _HUBS[key] = QueueHub(key, QueueStore(path), ctx.clock)
    if _MARKED.get(id(ctx)) != key:
        hub.users += 1

        async def release() -> None:
            hub.users -= 1
            if hub.users <= 0 and _HUBS.get(key) is hub:
                del _HUBS[key]
                await hub.close()

        ctx.add_cleanup(release)
        _mark(ctx, key)
    return hub


_MARKED: dict[int, str] = {}


def _mark(ctx: Any, key: str) -> None:
    # LocalContext is a slotted attrs class; remember which contexts already count as hub users by id
    _MARKED[id(ctx)] = key
    ctx.add_cleanup(lambda: _MARKED.pop(id(ctx), None))


def consumer_entries(runtime: Any) -> tuple[list[dict[str, Any]], Any]:
    """The consumer entries and the config file they come from (None for ``Runtime(queue_consumers=...)``)."""
    explicit = runtime._options.get("queue_consumers")
    if explicit:
        return list(explicit), None
    config = runtime.config
    if config is None:
        return [], None
    queues = config.flat.get("queues") or {}
    return list(queues.get("consumers") or []), config.path


def worker_name(runtime: Any) -> str:
    if runtime.config is not None and runtime.config.name:
        return str(runtime.config.name)
    return runtime.main.stem


async def attach_runtime(runtime: Any) -> None:
    entries, file = consumer_entries(runtime)
    hub = hub_for(runtime._ctx)
    if not entries:
        return
    settings = [ConsumerSettings.from_entry(e, file, f"queues.consumers[{i}]") for i, e in enumerate(entries)]
    seen: dict[str, str] = {}
    name = worker_name(runtime)
    for s in settings:
        owner = hub.brokers.get(s.queue)
        if s.queue in seen or (owner is not None and owner.runtime is not runtime):
            other = seen.get(s.queue) or worker_name(owner.runtime)  # type: ignore[union-attr]
            raise QueueConfigError(f'Multiple consumers defined for queue "{s.queue}": "{other}" and "{name}"', file)
        seen[s.queue] = name
    for s in settings:
        old = hub.brokers.pop(s.queue, None)
        if old is not None:
            await old.stop()
        broker = hub.brokers[s.queue] = Broker(hub, s, runtime)
        broker.start()


async def detach_runtime(runtime: Any) -> None:
    ctx = runtime._ctx
    key = _MARKED.get(id(ctx)) if ctx is not None else None
    hub = _HUBS.get(key) if key is not None else None
    if hub is None:
        return
    for queue, broker in list(hub.brokers.items()):
        if broker.runtime is runtime:
            del hub.brokers[queue]
            await broker.stop()


def hub_of(runtime: Any) -> QueueHub:
    """The hub a runtime's producers and consumers use (for tests and tools)."""
    return hub_for(runtime._ctx)


async def enqueue(runtime: Any, queue: str, bodies: list[Any], **options: Any) -> None:
    """Send ``bodies`` to ``queue`` as a producer of ``runtime`` would (checks and limits included)."""
    from flarebind.runtime.queues.producer import Queue

    await runtime.ready
    producer = Queue("(test)", queue, hub_of(runtime), None, runtime.compat)
    await producer.sendBatch([{"body": body, **options} for body in bodies])


async def drain(runtime: Any, queue: str | None = None) -> int:
    """Deliver every visible message of ``queue`` (default: every queue ``runtime`` consumes) now, without waiting
    for batch timeouts; retries without delay are delivered too, until nothing visible is left."""
    await runtime.ready
    return await hub_of(runtime).drain(queue)
