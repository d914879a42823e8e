"""Queues in a Runtime: producers, the broker's batching and retries, DLQ, delays, persistence, errors."""

from __future__ import annotations

import pytest
from flarebind.errors import JsException
from flarebind.runtime.queues.host import QueueConfigError, hub_of
from flarebind.runtime.timers import FakeClock

from .conftest import batches, settle


def bodies(rt) -> list[list[object]]:
    return [[body for body, _, _ in msgs] for _, msgs in batches(rt)]


async def test_batches_flush_when_full_and_the_rest_after_the_timeout(start, clock: FakeClock) -> None:
    rt = await start(
        producers={"Q": "jobs"}, consumers=[{"queue": "jobs", "max_batch_size": 3, "max_batch_timeout": 10}]
    )
    env = await rt.get_bindings()
    await env.Q.sendBatch([{"body": i} for i in range(7)])
    await settle()
    assert bodies(rt) == [[0, 1, 2], [3, 4, 5]]  # full batches go at once, in order
    assert clock.pending == [clock.now + 10]
    clock.advance(9.9)
    await settle()
    assert len(batches(rt)) == 2
    clock.advance(0.1)
    await settle()
    assert bodies(rt) == [[0, 1, 2], [3, 4, 5], [6]]
    assert (await env.Q.metrics())["backlogCount"] == 0


async def test_batch_timer_is_not_pushed_back_by_later_messages(start, clock: FakeClock) -> None:
    rt = await start(
        producers={"Q": "jobs"}, consumers=[{"queue": "jobs", "max_batch_size": 10, "max_batch_timeout": 5}]
    )
    env = await rt.get_bindings()
    await env.Q.send("a")
    await settle()
    clock.advance(4)
    await env.Q.send("b")
    await settle()
    assert batches(rt) == []
    clock.advance(1)  # 5 s after the first message, not after the second
    await settle()
    assert bodies(rt) == [["a", "b"]]


async def test_local_defaults_are_miniflares(start, clock: FakeClock) -> None:
    rt = await start(producers={"Q": "jobs"}, consumers=[{"queue": "jobs"}])
    env = await rt.get_bindings()
    await env.Q.sendBatch([{"body": i} for i in range(6)])
    await settle()
    assert bodies(rt) == [[0, 1, 2, 3, 4]]  # batch size 5
    clock.advance(1)  # timeout 1 s
    await settle()
    assert bodies(rt) == [[0, 1, 2, 3, 4], [5]]


async def test_retries_then_dead_letter_queue_with_attempts_restarting(start, clock: FakeClock) -> None:
    logs: list[str] = []
    rt = await start(
        producers={"Q": "jobs"},
        consumers=[
            {"queue": "jobs", "max_batch_size": 1, "max_retries": 2, "dead_letter_queue": "dead"},
            {"queue": "dead", "max_batch_size": 1},
        ],
        logs=logs,
    )
    env = await rt.get_bindings()
    await env.Q.send("retry")
    await settle(60)
    seen = batches(rt)
    assert [(q, [(b, a) for b, a, _ in msgs]) for q, msgs in seen] == [
        ("jobs", [("retry", 1)]),
        ("jobs", [("retry", 2)]),
        ("jobs", [("retry", 3)]),
        ("dead", [("retry", 1)]),  # on the DLQ attempts start again; it retries there (no DLQ of its own) ...
        ("dead", [("retry", 2)]),
        ("dead", [("retry", 3)]),
    ]
    ids = {msgs[0][2] for _, msgs in seen}
    assert len(ids) == 1  # same id throughout
    assert any('to dead letter queue "dead" after 3 failed attempts...' in line for line in logs)
    assert any(
        line.startswith('▲ [WARNING] Dropped message "') and 'on queue "dead" after 3 failed attempts!' in line
        for line in logs
    )  # ... and is finally dropped
    assert "QUEUE jobs 0/1" in " ".join(logs)


async def test_retry_delays_follow_message_then_consumer_setting(start, clock: FakeClock) -> None:
    rt = await start(producers={"Q": "jobs"}, consumers=[{"queue": "jobs", "max_batch_size": 1, "retry_delay": 20}])
    env = await rt.get_bindings()
    await env.Q.send("retry-later")  # message.retry(delaySeconds=60)
    await settle()
    assert clock.pending[-1] == clock.now + 60
    clock.advance(59)
    await settle()
    assert len(batches(rt)) == 1
    clock.advance(1)
    await settle()
    assert len(batches(rt)) == 2
    await env.Q.send("retry")  # message.retry(): the consumer's retry_delay
    await settle()
    assert len(batches(rt)) == 3
    clock.advance(20)
    await settle()
    assert bodies(rt)[-1] == ["retry"] and batches(rt)[-1][1][0][1] == 2


async def test_send_delays_and_their_precedence(start, clock: FakeClock) -> None:
    rt = await start(
        producers={"Q": {"queue": "jobs", "delivery_delay": 30}},
        consumers=[{"queue": "jobs", "max_batch_size": 1}],
    )
    env = await rt.get_bindings()
    await env.Q.send("producer-default")
    await env.Q.send("explicit-zero", delaySeconds=0)
    await env.Q.sendBatch([{"body": "own", "delaySeconds": 5}, {"body": "batch"}], {"delaySeconds": 10})
    await settle()
    assert bodies(rt) == [["explicit-zero"]]
    clock.advance(5)
    await settle()
    assert bodies(rt)[-1] == ["own"]
    clock.advance(5)
    await settle()
    assert bodies(rt)[-1] == ["batch"]
    clock.advance(20)
    await settle()
    assert bodies(rt)[-1] == ["producer-default"]


async def test_a_throwing_consumer_retries_the_batch_but_keeps_explicit_acks(start, clock: FakeClock) -> None:
    logs: list[str] = []
    rt = await start(
        producers={"Q": "jobs"}, consumers=[{"queue": "jobs", "max_batch_size": 2, "max_retries": 1}], logs=logs
    )
    env = await rt.get_bindings()
    await env.Q.sendBatch([{"body": "ack-then-boom"}, {"body": "other"}])
    await settle()
    assert any("Uncaught exception in queue handler" in line and "after an explicit ack" in line for line in logs)
    clock.advance(1)
    await settle()
    assert bodies(rt) == [["ack-then-boom", "other"], ["other"]]
    assert batches(rt)[1][1][0][1] == 2
    await env.Q.send("boom")
    for _ in range(3):  # a lone message waits for the 1 s batch timeout, each time it is delivered
        await settle()
        clock.advance(1)
    await settle()
    assert bodies(rt)[-2:] == [["boom"], ["boom"]]  # 1 retry, then dropped
    assert any('on queue "jobs" after 2 failed attempts!' in line for line in logs)


async def test_dispatch_queue_reports_first_decision_wins(start) -> None:
    rt = await start(
        """
        from workers import WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def queue(self, batch, env, ctx):
                first, second, third = batch.messages
                first.ack()
                first.retry()          # ignored: ack came first
                batch.retryAll(delaySeconds=7)
                second.ack()           # ignored: after retryAll
                batch.ackAll()         # ignored: retryAll came first
        """
    )
    outcome = await rt.dispatch_queue("jobs", [1, 2, 3])
    assert outcome.outcome == "ok"
    assert len(outcome.acked) == 1 and len(outcome.retried) == 2
    assert set(outcome.delays.values()) == {7}


async def test_content_types_round_trip(start) -> None:
    rt = await start(producers={"Q": "jobs"}, consumers=[{"queue": "jobs", "max_batch_size": 4}])
    env = await rt.get_bindings()
    import datetime

    when = datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc)
    await env.Q.sendBatch(
        [
            {"body": {"a": [1, 2]}},
            {"body": "plain", "contentType": "text"},
            {"body": b"\x00\x01", "contentType": "bytes"},
            {"body": {"when": when, "raw": b"x"}, "contentType": "v8"},
        ]
    )
    await settle()
    ((_, msgs),) = batches(rt)
    json_body, text_body, bytes_body, v8_body = (b for b, _, _ in msgs)
    assert json_body == {"a": [1, 2]} and json_body.a == [1, 2]
    assert text_body == "plain"
    assert isinstance(bytes_body, memoryview) and bytes(bytes_body) == b"\x00\x01"
    assert v8_body["when"] == when and bytes(v8_body["raw"]) == b"x"


async def test_producer_errors_use_cloudflares_texts(start) -> None:
    rt = await start(producers={"Q": "jobs"}, compatibility_date="2026-01-01")
    env = await rt.get_bindings()
    with pytest.raises(TypeError, match=r"^Message body cannot be undefined$"):
        await env.Q.send()
    with pytest.raises(TypeError, match=r"^sendBatch\(\) requires at least one message$"):
        await env.Q.sendBatch([])
    with pytest.raises(TypeError, match=r"^Unsupported queue message content type: yaml$"):
        await env.Q.send("x", contentType="yaml")
    with pytest.raises(TypeError, match=r'^Content Type "text" requires a value of type string, but received: number$'):
        await env.Q.send(5, contentType="text")
    with pytest.raises(
        TypeError, match=r'^Content Type "bytes" requires a value of type ArrayBufferView, but received: string$'
    ):
        await env.Q.send("x", contentType="bytes")
    with pytest.raises(JsException, match=r"^Queue send failed: Payload Too Large$"):
        await env.Q.send("x" * 128_001, contentType="text")
    await env.Q.send("x" * 128_000, contentType="text")  # exactly the limit is fine
    with pytest.raises(JsException, match=r"^Queue sendBatch failed: Payload Too Large$"):
        await env.Q.sendBatch([{"body": i} for i in range(101)])
    with pytest.raises(JsException, match=r"^Queue sendBatch failed: Payload Too Large$"):
        await env.Q.sendBatch([{"body": "y" * 100_000, "contentType": "text"}] * 3)
    with pytest.raises(JsException, match=r"^Queue send failed: Bad Request$"):
        await env.Q.send("x", delaySeconds=86_401)
    await env.Q.send(None)  # null is a body
    result = await env.Q.send("x")
    assert result.metadata.metrics.backlogCount == 3


async def test_error_codes_compat_flag_changes_the_broker_text(start) -> None:
    rt = await start(producers={"Q": "jobs"}, compatibility_date="2026-04-01")
    env = await rt.get_bindings()
    with pytest.raises(JsException, match=r"^Unknown Internal Error \(15000\)$"):
        await env.Q.send("x" * 128_001, contentType="text")


async def test_messages_survive_a_restart_and_reach_a_consumer_in_another_worker(start, tmp_path, clock) -> None:
    state = tmp_path / "state"
    producer = await start(
        "from workers import WorkerEntrypoint\nclass Default(WorkerEntrypoint):\n    pass\n",
        producers={"Q": "jobs"},
        persist_to=state,
        in_memory=False,
        folder="producer",
    )
    env = await producer.get_bindings()
    await env.Q.sendBatch([{"body": "a"}, {"body": "b", "delaySeconds": 60}])
    await producer.dispose()  # "restart": nothing consumes yet, nothing is lost

    consumer = await start(consumers=[{"queue": "jobs"}], persist_to=state, in_memory=False, folder="consumer")
    await settle()
    clock.advance(1)
    await settle()
    assert bodies(consumer) == [["a"]]
    clock.advance(60)
    await settle()
    clock.advance(1)
    await settle()
    assert bodies(consumer) == [["a"], ["b"]]
    assert (state / "v3/queues/flarebind-queues/queues.sqlite").is_file()
    assert hub_of(consumer).store.metrics("jobs")["backlogCount"] == 0


async def test_consumer_config_errors(start) -> None:
    with pytest.raises(QueueConfigError) as bad_dlq:
        await start(consumers=[{"queue": "jobs", "dead_letter_queue": "jobs"}])
    assert bad_dlq.value.message == 'Dead letter queue for queue "jobs" cannot be itself'
    assert bad_dlq.value.diagnostics[0].path == "queues.consumers[0]"
    with pytest.raises(QueueConfigError) as twice:
        await start(consumers=[{"queue": "jobs"}, {"queue": "jobs"}], folder="two")
    assert twice.value.message == 'Multiple consumers defined for queue "jobs": "entry" and "entry"'
    with pytest.raises(QueueConfigError, match="must be a number from 1 to 100, got 500"):
        await start(consumers=[{"queue": "jobs", "max_batch_size": 500}], folder="three")


async def test_remote_producer_without_a_session_fails_loudly(start) -> None:
    rt = await start(producers={"Q": {"queue": "jobs", "remote": True}}, local=True)
    env = await rt.get_bindings()
    with pytest.raises(JsException, match="has remote = true, but this runtime has no remote session"):
        await env.Q.send("x")


async def test_v8_is_the_default_content_type_before_json_messages(start) -> None:
    rt = await start(
        producers={"Q": "jobs"}, consumers=[{"queue": "jobs", "max_batch_size": 1}], compatibility_date="2024-01-01"
    )
    env = await rt.get_bindings()
    await env.Q.send({"raw": b"\x01", "items": {1, 2}})  # only v8 (structured clone) keeps bytes and sets
    await settle()
    ((_, [(body, _, _)]),) = batches(rt)
    assert bytes(body["raw"]) == b"\x01" and body["items"] == {1, 2}
    rt2 = await start(producers={"Q": "jobs"}, folder="json")
    with pytest.raises(TypeError, match="is not JSON serialisable"):
        await (await rt2.get_bindings()).Q.send({"raw": b"\x01"})
