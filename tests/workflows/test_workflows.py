"""Workflows end to end in a Runtime: bindings, the Python step API, replay, retries, sleeps, events, control."""

from __future__ import annotations

import json

import pytest
from flarebind.errors import JsException
from flarebind.runtime.timers import FakeClock

from .conftest import settle, wait_status

# The pattern of Cloudflare's python-workers-examples/10-workflows (a DAG of steps with depends= and concurrent=True,
# started by /start and polled by /status/<id>), written for this test.
DAG_WORKER = """
from urllib.parse import urlparse
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint

class DAGWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("dependency 1")
        async def first():
            return 1

        @step.do("dependency 2")
        async def second():
            return 2

        @step.do("final step", depends=[first, second], concurrent=True)
        async def summarize(a=None, b=None):
            return {"sum": a + b}

        return await summarize()

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        if url.path == "/start":
            workflow = await self.env.MY_WORKFLOW.create()
            return Response("Just kicked off a workflow with ID: " + workflow.id)
        if "/status" in url.path:
            workflow = await self.env.MY_WORKFLOW.get(url.path.split("/")[-1])
            return Response.json(await workflow.status())
        return Response("Use /start")
"""


async def test_dag_example_start_then_status_reaches_complete(start_worker) -> None:
    rt = await start_worker(
        DAG_WORKER, workflows={"MY_WORKFLOW": ("dag-workflow", "DAGWorkflow")}, compatibility_date="2025-11-02"
    )
    started = await (await rt.dispatch_fetch("http://localhost/start")).text()
    assert started.startswith("Just kicked off a workflow with ID: ")
    instance_id = started.rsplit(" ", 1)[1]
    body = None
    for _ in range(100):
        body = json.loads(await (await rt.dispatch_fetch(f"http://localhost/status/{instance_id}")).text())
        if body["status"] == "complete":
            break
        await settle()
    assert body == {"status": "complete", "__LOCAL_DEV_STEP_OUTPUTS": [1, 2, {"sum": 3}], "output": {"sum": 3}}


FLAKY = """
from workers import WorkflowEntrypoint
from workers.workflows import NonRetryableError

class Flaky(WorkflowEntrypoint):
    async def run(self, event, step):
        mode = event["payload"]["mode"]
        seen = []

        @step.do("flaky", config={"retries": {"limit": 3, "delay": "10 seconds", "backoff": "exponential"}})
        async def flaky(ctx):
            seen.append(ctx["attempt"])
            if ctx["attempt"] < event["payload"]["succeed_on"]:
                raise ValueError(f"attempt {ctx['attempt']} failed")
            return {"attempt": ctx["attempt"], "step": ctx["step"]}

        @step.do("fatal", config={"retries": {"limit": 5, "delay": 0}})
        async def fatal():
            seen.append("fatal")
            raise NonRetryableError("stop now")

        if mode == "retry":
            return await flaky()
        if mode == "catch":
            try:
                await flaky()
            except ValueError as exc:
                return {"caught": type(exc).__name__, "message": str(exc)}
        if mode == "fatal":
            try:
                await fatal()
            except NonRetryableError as exc:
                return {"caught": str(exc), "runs": seen.count("fatal")}
        if mode == "fatal-uncaught":
            await fatal()
"""


async def test_retries_back_off_exponentially_on_the_clock(start_worker, clock: FakeClock) -> None:
    rt = await start_worker(FLAKY, workflows={"WF": ("flaky", "Flaky")})
    env = await rt.get_bindings()
    instance = await env.WF.create({"id": "r1", "params": {"mode": "retry", "succeed_on": 3}})
    await settle()
    # attempt 1 failed; the retry waits 10 s (exponential: 10 s, then 20 s)
    assert clock.pending == [clock.now + 10]
    assert (await instance.status())["status"] == "waiting"
    clock.advance(10)
    await settle()
    assert clock.pending == [clock.now + 20]
    clock.advance(20)
    status = await wait_status(instance, "complete")
    assert status["output"] == {"attempt": 3, "step": {"name": "flaky", "count": 1}}


async def test_retries_exhausted_error_reaches_run_with_its_builtin_type(start_worker, clock: FakeClock) -> None:
    rt = await start_worker(FLAKY, workflows={"WF": ("flaky", "Flaky")})
    env = await rt.get_bindings()
    instance = await env.WF.create({"id": "c1", "params": {"mode": "catch", "succeed_on": 99}})
    status = await wait_status(instance, "complete", clock=clock)
    # limit 3 = 4 attempts
    assert status["output"] == {"caught": "ValueError", "message": "attempt 4 failed"}


async def test_non_retryable_error_is_not_retried(start_worker, clock: FakeClock) -> None:
    rt = await start_worker(FLAKY, workflows={"WF": ("flaky", "Flaky")})
    env = await rt.get_bindings()
    caught = await env.WF.create({"id": "n1", "params": {"mode": "fatal"}})
    assert (await wait_status(caught, "complete"))["output"] == {"caught": "stop now", "runs": 1}
    uncaught = await env.WF.create({"id": "n2", "params": {"mode": "fatal-uncaught"}})
    status = await wait_status(uncaught, "errored")
    assert status["error"] == {
        "name": "WorkflowFatalError",
        "message": "The execution of the Workflow instance was terminated, as a step threw an NonRetryableError "
        "and it was not handled",
    }
    assert status["output"] is None


SLEEPY = """
import datetime
from workers import WorkflowEntrypoint

class Sleepy(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def before():
            return "before"

        await before()
        await step.sleep("nap", "1 hour")

        @step.do()
        async def after(before):
            return before + "+after"

        await step.sleep_until("until", datetime.datetime.fromtimestamp(event["payload"]["until"]))
        return await after()
"""


async def test_sleep_and_sleep_until_follow_the_clock(start_worker, clock: FakeClock) -> None:
    rt = await start_worker(SLEEPY, workflows={"WF": ("sleepy", "Sleepy")})
    env = await rt.get_bindings()
    instance = await env.WF.create({"params": {"until": clock.now + 7200}})
    await settle()
    status = await instance.status()
    assert status["status"] == "waiting" and status["__LOCAL_DEV_STEP_OUTPUTS"] == ["before"]
    assert clock.pending == [clock.now + 3600]
    clock.advance(3599)
    await settle()
    assert (await instance.status())["status"] == "waiting"
    clock.advance(1)
    await settle()
    assert clock.pending == [pytest.approx(clock.now + 3600)]  # until = created + 2 h
    clock.advance(3600)
    status = await wait_status(instance, "complete")
    assert status["output"] == "before+after"


async def test_sleep_until_the_past_is_an_error(start_worker, clock: FakeClock) -> None:
    rt = await start_worker(SLEEPY, workflows={"WF": ("sleepy", "Sleepy")})
    env = await rt.get_bindings()
    instance = await env.WF.create({"params": {"until": clock.now - 10}})
    await settle()
    clock.advance(3600)
    status = await wait_status(instance, "errored")
    assert status["error"] == {"name": "Error", "message": "You can't sleep until a time in the past, time-traveler"}


EVENTS = """
from workers import WorkflowEntrypoint

class Approval(WorkflowEntrypoint):
    async def run(self, event, step):
        got = await step.wait_for_event("approval", "approved", timeout="1 hour")
        second = await step.wait_for_event("second", "approved", timeout="1 hour")
        return {"first": got["payload"], "second": second["payload"], "type": got["type"]}
"""


async def test_events_are_matched_by_type_buffered_and_time_out(start_worker, clock: FakeClock) -> None:
    rt = await start_worker(EVENTS, workflows={"WF": ("approval", "Approval")})
    env = await rt.get_bindings()
    instance = await env.WF.create({"id": "e1"})
    await settle()
    assert (await instance.status())["status"] == "waiting"
    await instance.sendEvent({"type": "other", "payload": "ignored"})
    # two events of the right type: the first wakes the waiter, the second is buffered for the next wait
    await instance.send_event(type="approved", payload={"by": "ana"})
    await instance.sendEvent({"type": "approved", "payload": 2})
    status = await wait_status(instance, "complete")
    assert status["output"] == {"first": {"by": "ana"}, "second": 2, "type": "approved"}

    late = await env.WF.create({"id": "e2"})
    await settle()
    clock.advance(3600)
    status = await wait_status(late, "errored")
    assert status["error"] == {"name": "WorkflowTimeoutError", "message": "Execution timed out after 3600000ms"}


CONTROL = """
from workers import WorkflowEntrypoint

RUNS = []

class Control(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("one")
        async def one():
            RUNS.append("one")
            return 1

        await one()
        await step.sleep("wait", "10 minutes")

        @step.do("two")
        async def two():
            RUNS.append("two")
            return 2

        return await two()
"""


async def test_pause_resume_terminate_restart(start_worker, clock: FakeClock) -> None:
    rt = await start_worker(CONTROL, workflows={"WF": ("control", "Control")})
    env = await rt.get_bindings()
    runs = rt.worker.module.RUNS
    instance = await env.WF.create({"id": "p1"})
    await settle()
    assert (await instance.status())["status"] == "waiting"
    await instance.pause()
    assert (await instance.status())["status"] == "paused"
    clock.advance(3600)  # time passes while paused: the sleep keeps the 10 minutes it had left
    await settle()
    assert (await instance.status())["status"] == "paused"
    await instance.resume()
    await settle()
    assert (await instance.status())["status"] == "waiting"
    assert clock.pending == [clock.now + 600]
    clock.advance(600)
    assert (await wait_status(instance, "complete"))["output"] == 2
    assert runs == ["one", "two"]  # replay after resume did not re-run "one"

    with pytest.raises(
        JsException, match=r"^\(instance.cannot_terminate\) Cannot terminate instance since its on a finite state$"
    ):
        await instance.terminate()

    await instance.restart()  # wipes the cache: both steps run again
    await settle()
    assert runs == ["one", "two", "one"]
    await instance.terminate()
    assert (await instance.status())["status"] == "terminated"
    clock.advance(600)
    await settle()
    assert runs == ["one", "two", "one"]


async def test_binding_errors(start_worker) -> None:
    rt = await start_worker(CONTROL, workflows={"WF": ("control", "Control")})
    env = await rt.get_bindings()
    with pytest.raises(JsException, match=r"^instance\.not_found$"):
        await env.WF.get("nope")
    with pytest.raises(JsException, match=r"^Workflow instance has invalid id$"):
        await env.WF.create({"id": "has space"})
    with pytest.raises(JsException, match="batchCreate should have at least 1 instance"):
        await env.WF.createBatch([])
    a, b = await env.WF.create_batch([{"id": "a"}, {"id": "b"}])
    assert (a.id, b.id) == ("a", "b")
    again = await env.WF.create({"id": "a"})  # locally an existing id gives back that instance
    assert again.id == "a"


async def test_instance_details_record_each_attempt(start_worker, clock: FakeClock) -> None:
    from flarebind.explorer.workflows import instance_details

    rt = await start_worker(FLAKY, workflows={"WF": ("flaky", "Flaky")})
    env = await rt.get_bindings()
    instance = await env.WF.create({"id": "d1", "params": {"mode": "retry", "succeed_on": 2}})
    await wait_status(instance, "complete", clock=clock)
    engine = env.WF._engine
    (step,) = instance_details(engine, "d1")["steps"]
    assert (
        step["name"] == "flaky"
        and step["success"] is True
        and step["output"]
        == {
            "attempt": 2,
            "step": {"name": "flaky", "count": 1},
        }
    )
    first, second = step["attempts"]
    assert first["success"] is False and first["error"] == {"name": "ValueError", "message": "attempt 1 failed"}
    assert second["success"] is True and second["start"] is not None and second["error"] is None
    assert step["config"]["retries"] == {"limit": 3, "delay": 10000.0, "backoff": "exponential"}


DEPS = """
import asyncio
from workers import WorkflowEntrypoint

GATE = asyncio.Event()
RUNS = []

class Deps(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def base():
            RUNS.append("base")
            return 10

        @step.do()
        async def slow(ctx):
            RUNS.append("slow")
            await GATE.wait()
            return ctx["attempt"]

        @step.do(concurrent=True)
        async def total(base, slow, ctx):
            return {"sum": base + slow, "name": ctx["step"]["name"]}

        return await total()
"""


async def test_implicit_dependencies_and_a_pause_that_waits_for_the_running_step(start_worker) -> None:
    rt = await start_worker(DEPS, workflows={"WF": ("deps", "Deps")})  # 2026-05-01: implicit dependencies
    module = rt.worker.module
    env = await rt.get_bindings()
    instance = await env.WF.create({"id": "d"})
    await settle()
    assert module.RUNS == ["base", "slow"]  # resolved together (concurrent=True)
    await instance.pause()
    assert (await instance.status())["status"] == "waitingForPause"  # "slow" is running: it may finish first
    module.GATE.set()
    await settle()
    status = await instance.status()
    assert status["status"] == "paused" and sorted(status["__LOCAL_DEV_STEP_OUTPUTS"]) == [1, 10]
    await instance.resume()
    status = await wait_status(instance, "complete")
    assert status["output"] == {"sum": 11, "name": "total"}
    assert module.RUNS == ["base", "slow"]  # neither ran again after the pause


async def test_legacy_signature_checks_depends(start_worker) -> None:
    rt = await start_worker(
        """
        from workers import WorkflowEntrypoint

        class Legacy(WorkflowEntrypoint):
            async def run(self, event, step):
                @step.do("a")
                async def a():
                    return 1

                @step.do("b")
                async def b(x):
                    return x

                return await b()
        """,
        workflows={"WF": ("legacy", "Legacy")},
        compatibility_date="2025-11-02",
    )
    env = await rt.get_bindings()
    status = await wait_status(await env.WF.create(), "errored")
    assert status["error"] == {
        "name": "TypeError",
        "message": "Step has 1 non-ctx parameter(s) but no 'depends' list provided",
    }


LIMITS = """
from workers import WorkflowEntrypoint

class Limits(WorkflowEntrypoint):
    async def run(self, event, step):
        mode = event["payload"]["mode"]
        if mode == "config":
            @step.do("bad", config={"retry": {"limit": 1}})
            async def bad():
                return 1
            return await bad()
        if mode == "name":
            @step.do("x" * 257)
            async def long():
                return 1
            return await long()
        if mode == "limit":
            for i in range(4):
                @step.do(f"s{i}")
                async def one():
                    return i
                await one()
        if mode == "timeout":
            import asyncio

            @step.do("slow", config={"timeout": "5 seconds", "retries": {"limit": 0, "delay": 0}})
            async def slow():
                await asyncio.Event().wait()
            return await slow()
        if mode == "unserialisable":
            @step.do("obj")
            async def obj():
                return object()
            return await obj()
"""


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        (
            "config",
            'Step config for "bad" is in a invalid format. '
            "See https://developers.cloudflare.com/workflows/build/sleeping-and-retrying/",
        ),
        ("name", f'Step name "{"x" * 257}" exceeds max length (256 chars) or invalid characters found'),
        ("limit", "The limit of 3 steps has been reached. This limit can be changed in your worker configuration."),
        ("timeout", "Execution timed out after 5000ms"),
        (
            "unserialisable",
            'The execution of the Workflow instance was terminated, as the step "obj" returned a value which is not '
            "serialisable",
        ),
    ],
)
async def test_engine_errors_use_the_local_engines_texts(start_worker, clock: FakeClock, mode: str, error: str) -> None:
    rt = await start_worker(
        LIMITS,
        bindings={"WF": {"type": "workflow", "name": "limits", "class_name": "Limits", "limits": {"steps": 3}}},
    )
    env = await rt.get_bindings()
    status = await wait_status(await env.WF.create({"params": {"mode": mode}}), "errored", clock=clock)
    assert status["error"]["message"] == error
