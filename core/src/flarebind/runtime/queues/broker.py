"""Delivery to a consumer, as Miniflare's queue broker does it (packages/miniflare/src/workers/queues/broker.worker.ts).

One broker per consumed queue. A message becomes visible after its delay; when the visible backlog reaches
``max_batch_size`` a batch is flushed at once, otherwise ``max_batch_timeout`` seconds after the first visible
message was seen (later messages do not push the timer back). A flush takes up to ``max_batch_size`` messages in
order of visibility, and only one batch per queue is with the consumer at a time. After the handler: acknowledged
messages are deleted; a failed one is retried after its delay while ``failed attempts < max_retries + 1``, then
moved to the dead-letter queue (same id and timestamp, attempts start again) or dropped with Miniflare's warning.
Local defaults are Miniflare's: batch size 5, timeout 1 s, 2 retries.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from flarebind.jsobject import JsObject
from flarebind.runtime.queues import codec
from flarebind.runtime.queues.consumer import Message, MessageBatch, call_handler
from flarebind.runtime.timers import FakeClock, wait_until

if TYPE_CHECKING:
    from flarebind.runtime.queues.host import ConsumerSettings, QueueHub

POLL_SECONDS = 0.5  # how often a file-backed broker looks for messages another process sent
WORKER_RETRY_SECONDS = 0.5  # how often a broker whose consumer Worker is not loaded looks again


class Broker:
    def __init__(self, hub: QueueHub, settings: ConsumerSettings, runtime: Any) -> None:
        self.hub = hub
        self.settings = settings
        self.queue = settings.queue
        self.runtime = runtime
        self.wake = asyncio.Event()
        self.lock = asyncio.Lock()
        self.deadline: float | None = None
        self.delivered = 0
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._loop(), name=f"queue broker {self.queue}")

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except BaseException:
                pass
        # a batch interrupted mid-handler is still in the store: it is delivered again by the next consumer

    async def _loop(self) -> None:
        store = self.hub.store
        poll = store.path is not None and not isinstance(self.hub.clock, FakeClock)
        timeout_ms = self.settings.max_batch_timeout * 1000
        while True:
            self.wake.clear()
            if self.runtime.worker is None:
                # the consumer Worker failed to load (dev keeps serving the error): hold the messages rather than
                # spend their retries, and look again after the next reload
                try:
                    await asyncio.wait_for(self.wake.wait(), WORKER_RETRY_SECONDS)
                except asyncio.TimeoutError:
                    pass
                continue
            now = self.hub.now_ms()
            visible = store.visible_count(self.queue, now)
            if visible >= self.settings.max_batch_size or (
                visible and self.deadline is not None and now >= self.deadline
            ):
                await self.flush()
                continue
            if visible and self.deadline is None:
                self.deadline = now + timeout_ms
            candidates = [d for d in (self.deadline, store.next_visible_after(self.queue, now)) if d is not None]
            if poll:
                candidates.append(now + POLL_SECONDS * 1000)
            if candidates:
                await wait_until(self.hub.clock, min(candidates) / 1000, self.wake)
            else:
                await self.wake.wait()

    async def flush(self) -> int:
        """Deliver one batch of visible messages now (the timer's job; :meth:`drain` calls it directly)."""
        if self.runtime.worker is None:
            raise RuntimeError(
                f"Queue {self.queue}: the consumer Worker is not loaded ({self.runtime.load_error}); "
                "fix it before draining"
            )
        async with self.lock:
            store = self.hub.store
            now = self.hub.now_ms()
            rows = store.next_batch(self.queue, now, self.settings.max_batch_size)
            self.deadline = None
            if not rows:
                return 0
            batch = MessageBatch(self.queue, self.runtime.log)
            for r in rows:
                body = codec.decode(bytes(r["body"]), r["content_type"])
                batch.messages.append(Message(batch, r["id"], r["timestamp_ms"], body, r["failed_attempts"] + 1))
            count, size = store.backlog(self.queue)
            batch_bytes = sum(r["bytes"] for r in rows)
            metrics = JsObject(backlogCount=count - len(rows), backlogBytes=size - batch_bytes)
            batch.metadata = JsObject(metrics=metrics)
            started = time.perf_counter()
            ok = await call_handler(self.runtime, batch)
            elapsed = int((time.perf_counter() - started) * 1000)
            outcome = batch.outcome(ok)
            self._settle(rows, outcome)
            acked = sum(1 for what, _ in outcome.values() if what == "ack")
            self.runtime.log(f"QUEUE {self.queue} {acked}/{len(rows)} ({elapsed}ms)")
            self.delivered += len(rows)
            return len(rows)

    def _settle(self, rows: list[Any], outcome: dict[str, tuple[str, int | None]]) -> None:
        s = self.settings
        max_attempts = s.max_retries + 1
        plural = "" if max_attempts == 1 else "s"
        now = self.hub.now_ms()
        acked: list[tuple[int, int]] = []
        retried: list[tuple[int, int, float]] = []
        moved: list[tuple[int, int, str]] = []
        dropped: list[tuple[int, int]] = []
        for r in rows:
            decision, delay = outcome[r["id"]]
            if decision == "ack":
                acked.append((r["seq"], r["bytes"]))
                continue
            failed = r["failed_attempts"] + 1
            if failed < max_attempts:
                seconds = delay if delay is not None else (s.retry_delay or 0)
                retried.append((r["seq"], failed, now + seconds * 1000))
            elif s.dead_letter_queue is not None:
                self.runtime.log(
                    f'▲ [WARNING] Moving message "{r["id"]}" on queue "{self.queue}" to dead letter queue '
                    f'"{s.dead_letter_queue}" after {max_attempts} failed attempt{plural}...'
                )
                moved.append((r["seq"], r["bytes"], s.dead_letter_queue))
            else:
                self.runtime.log(
                    f'▲ [WARNING] Dropped message "{r["id"]}" on queue "{self.queue}" after {max_attempts} '
                    f"failed attempt{plural}!"
                )
                dropped.append((r["seq"], r["bytes"]))
        self.hub.store.settle(self.queue, acked, retried, moved, dropped, now)
        if moved:
            self.hub.notify(s.dead_letter_queue)

    async def drain(self) -> int:
        """Deliver every visible message now, batch after batch (retries with no delay included)."""
        total = 0
        while self.hub.store.visible_count(self.queue, self.hub.now_ms()):
            total += await self.flush()
        return total
