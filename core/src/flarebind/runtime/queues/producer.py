"""``env.MY_QUEUE``: the queue producer binding (``send``, ``sendBatch``, ``metrics``).

Checks, limits and texts are workerd's and Miniflare's: a missing body, an empty batch, an unknown content type, a
body of the wrong type for ``text`` / ``bytes`` are ``TypeError``s; a message over 128000 bytes, more than 100
messages or 288000 bytes in a batch, or a delay outside 0..86400 s are broker rejections, which workerd reports as
``Queue send failed: <status text>`` (``Unknown Internal Error (15000)`` with ``queue_expose_error_codes``, from
2026-03-12). The message is committed to the store before ``send`` returns.
"""

from __future__ import annotations

import os
from typing import Any

from flarebind.errors import JsException
from flarebind.jsobject import JsObject
from flarebind.runtime.queues import codec
from flarebind.runtime.queues.host import QueueHub

MAX_MESSAGE_BYTES = 128_000
MAX_BATCH_COUNT = 100
MAX_BATCH_BYTES = 288_000
MAX_DELAY = 86_400
_MISSING: Any = object()


class _Rejected(Exception):
    def __init__(self, status_text: str) -> None:
        self.status_text = status_text


def _delay(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise _Rejected("Bad Request")
    if not 0 <= value <= MAX_DELAY:
        raise _Rejected("Bad Request")
    return int(value)


def _options(options: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    merged = dict(options or {})
    merged.update(kwargs)
    # snake_case spellings are accepted beside the JS names
    for snake, camel in (("content_type", "contentType"), ("delay_seconds", "delaySeconds")):
        if snake in merged:
            merged.setdefault(camel, merged.pop(snake))
    return merged


class Queue:
    def __init__(self, binding: str, queue: str, hub: QueueHub, delivery_delay: Any, compat: Any) -> None:
        self._binding = binding
        self._queue = queue
        self._hub = hub
        self._delivery_delay = delivery_delay
        self._compat = compat
        self._default_type = codec.default_content_type(compat)

    def _failure(self, what: str, status_text: str) -> JsException:
        compat = self._compat
        if "queue_expose_error_codes" in compat.flags or (compat.date or "") >= "2026-03-12":
            return JsException("Unknown Internal Error (15000)")
        return JsException(f"Queue {what} failed: {status_text}")

    def _encode(self, body: Any, options: dict[str, Any]) -> tuple[str, bytes]:
        if body is _MISSING:
            raise TypeError("Message body cannot be undefined")
        content_type = codec.content_type_of(options.get("contentType"), self._default_type)
        return content_type, codec.encode(body, content_type)

    def _row(self, content_type: str, data: bytes, delay: int, now: float) -> tuple[str, str, bytes, float, float, int]:
        return (os.urandom(16).hex(), content_type, data, now, now + delay * 1000, 0)

    async def send(self, body: Any = _MISSING, options: Any = None, **kwargs: Any) -> JsObject:
        opts = _options(options, kwargs)
        content_type, data = self._encode(body, opts)
        try:
            if len(data) > MAX_MESSAGE_BYTES:
                raise _Rejected("Payload Too Large")
            given = _delay(opts.get("delaySeconds"))
            delay = given if given is not None else (_delay(self._delivery_delay) or 0)
        except _Rejected as exc:
            raise self._failure("send", exc.status_text) from None
        self._hub.store.insert(self._queue, [self._row(content_type, data, delay, self._hub.now_ms())])
        self._hub.notify(self._queue)
        return self._response()

    async def sendBatch(self, messages: Any, options: Any = None, **kwargs: Any) -> JsObject:
        messages = list(messages or [])
        if not messages:
            raise TypeError("sendBatch() requires at least one message")
        opts = _options(options, kwargs)
        encoded = []
        largest = total = 0
        for message in messages:
            m = message if isinstance(message, dict) and "content_type" not in message else _options(message, {})
            content_type, data = self._encode(m.get("body", _MISSING), m)
            encoded.append((content_type, data, m.get("delaySeconds", m.get("delay_seconds"))))
            largest = max(largest, len(data))
            total += len(data)
        try:
            if len(encoded) > MAX_BATCH_COUNT or largest > MAX_MESSAGE_BYTES or total > MAX_BATCH_BYTES:
                raise _Rejected("Payload Too Large")
            batch_delay = _delay(opts.get("delaySeconds"))
            default = batch_delay if batch_delay is not None else (_delay(self._delivery_delay) or 0)
            now = self._hub.now_ms()
            rows = []
            for content_type, data, own in encoded:
                d = _delay(own)
                rows.append(self._row(content_type, data, default if d is None else d, now))
        except _Rejected as exc:
            raise self._failure("sendBatch", exc.status_text) from None
        self._hub.store.insert(self._queue, rows)
        self._hub.notify(self._queue)
        return self._response()

    send_batch = sendBatch

    async def metrics(self) -> JsObject:
        return self._metrics()

    def _metrics(self) -> JsObject:
        m = self._hub.store.metrics(self._queue)
        out = JsObject(backlogCount=m["backlogCount"], backlogBytes=m["backlogBytes"])
        if m["oldest"] is not None:
            import datetime as _dt

            out["oldestMessageTimestamp"] = _dt.datetime.fromtimestamp(m["oldest"] / 1000, tz=_dt.timezone.utc)
        return out

    def _response(self) -> JsObject:
        count, size = self._hub.store.backlog(self._queue)
        return JsObject(metadata=JsObject(metrics=JsObject(backlogCount=count, backlogBytes=size)))

    def __repr__(self) -> str:
        return f"<Queue producer {self._binding} -> {self._queue}>"


class RemoteQueueUnavailable:
    """A producer with ``remote = true`` in a runtime without a remote session: every use fails, loudly."""

    def __init__(self, binding: str, queue: str) -> None:
        self._message = (
            f"Queue producer {binding} (queue {queue!r}) has remote = true, but this runtime has no remote session "
            "(it runs with --local, or local=True): the message would not reach the real queue. Run without "
            "--local to send to Cloudflare, or remove `remote = true` to use a local queue."
        )

    def __getattr__(self, name: str) -> Any:
        raise JsException(self._message)

    def __repr__(self) -> str:
        return f"<unavailable remote queue producer: {self._message}>"


def make_local_producer(name: str, spec: dict[str, Any], ctx: Any) -> Any:
    """The local adapter for ``[[queues.producers]]`` bindings."""
    from flarebind.runtime.compat import Compat
    from flarebind.runtime.queues.host import hub_for

    queue = spec.get("queue") or name
    if spec.get("remote") is True:
        return RemoteQueueUnavailable(name, queue)
    compat = Compat.of(ctx.compatibility_date, ctx.compatibility_flags)
    return Queue(name, queue, hub_for(ctx), spec.get("delivery_delay"), compat)
