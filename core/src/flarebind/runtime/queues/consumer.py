"""What a ``queue(batch, env, ctx)`` handler receives, and how its calls become one outcome per message.

Precedence follows workerd: the first decision for a message wins. A per-message ``ack()``/``retry()`` made before a
batch-level ``ackAll()``/``retryAll()`` keeps its effect; a per-message call after a batch-level one is ignored
(with a warning, except ``ack()`` after ``ackAll()``); between ``ackAll`` and ``retryAll`` the first wins. If the
handler returns, unmentioned messages are acknowledged; if it throws, every message not explicitly acknowledged is
retried (production's rule; Miniflare retries explicitly acknowledged ones too).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from flarebind.jsobject import JsObject


def _delay(options: Any, kwargs: dict[str, Any]) -> int | None:
    merged = {**(options or {}), **kwargs}
    value = merged.get("delaySeconds", merged.get("delay_seconds"))
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 86400:
        raise ValueError(f"delaySeconds must be a number of seconds between 0 and 86400, got {value!r}")
    return int(value)


class Message:
    def __init__(self, batch: MessageBatch, id: str, timestamp_ms: float, body: Any, attempts: int) -> None:
        self._batch = batch
        self.id = id
        self._timestamp_ms = timestamp_ms
        self.body = body
        self.attempts = attempts

    @property
    def timestamp(self) -> _dt.datetime:
        """When the message was sent (a ``datetime``, as the SDK gives a JS ``Date``)."""
        return _dt.datetime.fromtimestamp(self._timestamp_ms / 1000, tz=_dt.timezone.utc)

    def ack(self) -> None:
        self._batch._decide(self.id, "ack", None)

    def retry(self, options: Any = None, **kwargs: Any) -> None:
        self._batch._decide(self.id, "retry", _delay(options, kwargs))

    def __repr__(self) -> str:
        return f"<Message {self.id} attempts={self.attempts}>"


class MessageBatch:
    def __init__(self, queue: str, log: Any = None) -> None:
        self.queue = queue
        self.messages: list[Message] = []
        self.metadata = JsObject(metrics=JsObject(backlogCount=0, backlogBytes=0))
        self._log = log or (lambda text: None)
        self.decisions: dict[str, tuple[str, int | None]] = {}
        self.batch_decision: tuple[str, int | None] | None = None

    def _decide(self, id: str, what: str, delay: int | None) -> None:
        if self.batch_decision is not None:
            if not (what == "ack" and self.batch_decision[0] == "ack"):
                verb = "ackAll" if self.batch_decision[0] == "ack" else "retryAll"
                self._log(
                    f"▲ [WARNING] Received a call to {what}() on message {id} after {verb}() was already called "
                    f"on its batch. Calling {what}() on a message after calling {verb}() has no effect."
                )
            return
        previous = self.decisions.get(id)
        if previous is not None:
            if previous[0] != what:
                self._log(
                    f"▲ [WARNING] Received a call to {what}() on message {id} after {previous[0]}() was already "
                    f"called. Calling {what}() on a message after calling {previous[0]}() has no effect."
                )
            return
        self.decisions[id] = (what, delay)

    def ackAll(self) -> None:
        if self.batch_decision is None:
            self.batch_decision = ("ack", None)
        elif self.batch_decision[0] != "ack":
            self._log("▲ [WARNING] Received a call to ackAll() after retryAll() was already called on this batch.")

    def retryAll(self, options: Any = None, **kwargs: Any) -> None:
        delay = _delay(options, kwargs)
        if self.batch_decision is None:
            self.batch_decision = ("retry", delay)
        elif self.batch_decision[0] != "retry":
            self._log("▲ [WARNING] Received a call to retryAll() after ackAll() was already called on this batch.")

    ack_all = ackAll
    retry_all = retryAll

    def outcome(self, ok: bool) -> dict[str, tuple[str, int | None]]:
        """``{id: ("ack" | "retry", delay or None)}`` for every message."""
        out: dict[str, tuple[str, int | None]] = {}
        for m in self.messages:
            explicit = self.decisions.get(m.id)
            if explicit is not None and (ok or explicit[0] == "ack"):
                out[m.id] = explicit
            elif not ok:
                out[m.id] = ("retry", None)
            elif self.batch_decision is not None:
                out[m.id] = self.batch_decision
            else:
                out[m.id] = ("ack", None)
        return out


async def call_handler(runtime: Any, batch: MessageBatch) -> bool:
    """Run the Worker's ``queue`` handler with ``batch``; False (and the error logged) if it threw."""
    await runtime.ready
    worker = runtime.worker
    if worker is None:
        runtime.log(f"✘ [ERROR] Queue {batch.queue}: the consumer Worker is not loaded; the batch will be retried")
        return False
    with runtime._invocation() as ctx:
        try:
            await runtime._run_event_handler(worker, "queue", batch, ctx)
            return True
        except Exception as exc:
            runtime._log_uncaught(exc, "queue handler")
            return False


async def dispatch_bodies(runtime: Any, queue: str, bodies: list[Any], *, attempts: int = 1) -> JsObject:
    """``Runtime.dispatch_queue``: one batch of ``bodies`` straight to the handler, no broker or store."""
    import os
    import time

    batch = MessageBatch(queue, runtime.log)
    now = time.time() * 1000
    batch.messages = [Message(batch, os.urandom(16).hex(), now, body, attempts) for body in bodies]
    ok = await call_handler(runtime, batch)
    outcome = batch.outcome(ok)
    return JsObject(
        outcome="ok" if ok else "exception",
        acked=[id for id, (what, _) in outcome.items() if what == "ack"],
        retried=[id for id, (what, _) in outcome.items() if what == "retry"],
        delays={id: delay for id, (what, delay) in outcome.items() if what == "retry" and delay is not None},
    )
