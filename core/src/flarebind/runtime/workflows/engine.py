"""The durable Workflow engine: runs ``WorkflowEntrypoint.run`` from the top, replaying cached steps.

One :class:`WorkflowEngine` per workflow name and runtime state folder. Each running instance is one asyncio task
that calls the Worker's ``run(event, step)``; ``step`` (:mod:`.step`) asks the engine for each step, which returns
the cached result (or rethrows the cached error) when the step already completed, and otherwise runs it with
retries and a per-attempt timeout and stores the outcome before ``run`` goes on. Sleeps, retry delays and event
timeouts are stored as wake-up times, so after a restart of ``flarebind dev`` an instance that was ``running`` or
``waiting`` is started again and continues where it stopped (Miniflare leaves such instances stalled until something
calls into them; resuming them is a deliberate improvement). Time comes from the runtime's clock
(:mod:`flarebind.runtime.timers`), so tests drive sleeps with a fake clock.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from flarebind.errors import JsException
from flarebind.jsobject import JsObject
from flarebind.runtime import serial
from flarebind.runtime.timers import wait_until
from flarebind.runtime.workflows import errors as E
from flarebind.runtime.workflows.durations import timestamp_ms, to_ms
from flarebind.runtime.workflows.store import WorkflowStore

if TYPE_CHECKING:
    from flarebind.runtime.workflows.host import WorkflowsHost

STATUSES = ("queued", "running", "paused", "errored", "terminated", "complete", "waiting", "waitingForPause", "unknown")
FINITE = ("complete", "errored", "terminated")
LIVE = ("queued", "running", "waiting", "waitingForPause")

_ID = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9-_]*$")
MAX_ID = 100  # local engine's limit (production: 64)
MAX_STEP_NAME = 256
DEFAULT_STEP_LIMIT = 10_000
# the local engine's defaults (production documents a 10 s delay)
DEFAULT_CONFIG: dict[str, Any] = {
    "retries": {"limit": 5, "delay": 1000, "backoff": "exponential"},
    "timeout": "10 minutes",
}
CONFIG_KEYS = {"retries", "timeout", "sensitive"}
RETRY_KEYS = {"limit", "delay", "backoff"}
BACKOFFS = ("constant", "linear", "exponential")


class Paused(BaseException):
    """Unwinds ``run`` when a requested pause takes effect at a step boundary (not catchable as Exception)."""


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def _valid_step_name(name: Any) -> bool:
    return isinstance(name, str) and 0 < len(name) <= MAX_STEP_NAME and not any(ord(c) < 32 for c in name)


def valid_instance_id(id: Any) -> bool:
    return isinstance(id, str) and len(id) <= MAX_ID and bool(_ID.match(id))


def step_config(name: str, config: Any) -> dict[str, Any]:
    """The user's step config over the defaults; unknown keys or bad values are the engine's fatal error."""
    invalid = E.WorkflowFatalError(
        f'Step config for "{name}" is in a invalid format. '
        "See https://developers.cloudflare.com/workflows/build/sleeping-and-retrying/"
    )
    config = dict(config or {})
    if set(config) - CONFIG_KEYS:
        raise invalid
    retries = dict(config.get("retries") or {})
    if set(retries) - RETRY_KEYS:
        raise invalid
    merged = {**DEFAULT_CONFIG, **config, "retries": {**DEFAULT_CONFIG["retries"], **retries}}
    r = merged["retries"]
    try:
        limit = int(r["limit"])
        delay = to_ms(r["delay"])
        timeout = to_ms(merged["timeout"])
    except (TypeError, ValueError):
        raise invalid from None
    if limit < 0 or r["backoff"] not in BACKOFFS or timeout <= 0 or delay < 0:
        raise invalid
    return {"retries": {"limit": limit, "delay": delay, "backoff": r["backoff"]}, "timeout": timeout}


def retry_delay_ms(config: dict[str, Any], attempts: int) -> float:
    base = float(config["retries"]["delay"])
    backoff = config["retries"]["backoff"]
    if backoff == "linear":
        return base * attempts
    if backoff == "exponential":
        return base * 2 ** (attempts - 1)
    return base


class WorkflowEngine:
    def __init__(
        self,
        host: WorkflowsHost,
        name: str,
        class_name: str,
        script_name: str | None,
        store: WorkflowStore,
        step_limit: int = DEFAULT_STEP_LIMIT,
    ) -> None:
        self.host = host
        self.name = name
        self.class_name = class_name
        self.script_name = script_name
        self.store = store
        self.step_limit = step_limit
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.wakers: dict[str, asyncio.Event] = {}
        self.in_step: dict[str, int] = {}
        self.pause_requested: set[str] = set()
        self.deferred: set[str] = set()
        self.steps_run = 0  # step callbacks executed by this engine (benchmarks read it)
        # per instance, loaded from the store on first use and kept current by this engine: status() and the step
        # limit then cost O(1) per step instead of a scan of the instance's steps
        self._outputs: dict[str, list[Any]] = {}
        self._step_counts: dict[str, int] = {}

    # -- time -----------------------------------------------------------------------------------------------------

    def now_ms(self) -> float:
        return self.host.clock() * 1000

    async def wait_ms(self, deadline_ms: float, wake: asyncio.Event | None = None) -> bool:
        return await wait_until(self.host.clock, deadline_ms / 1000, wake)

    def waker(self, id: str) -> asyncio.Event:
        ev = self.wakers.get(id)
        if ev is None:
            ev = self.wakers[id] = asyncio.Event()
        return ev

    # -- instance lifecycle ---------------------------------------------------------------------------------------

    def create(self, id: Any = None, params: Any = None) -> str:
        if id is None:
            id = str(uuid.uuid4())
        if not valid_instance_id(id):
            raise E.WorkflowError(E.INVALID_ID)
        params_text = serial.dumps({} if params is None else params)
        now = self.now_ms()
        created_on = _dt.datetime.fromtimestamp(now / 1000, tz=_dt.timezone.utc).isoformat().replace("+00:00", "Z")
        # locally an existing id returns the existing instance (production throws)
        self.start_deferred()
        if self.store.insert_instance(id, params_text, created_on, now):
            self.start(id)
        return str(id)

    def start_deferred(self) -> None:
        if self.deferred and self.host.runner is not None and self.host.runner.worker is not None:
            for id in list(self.deferred):
                row = self.store.instance(id)
                if row is not None and row["status"] in LIVE:
                    self.start(id)
                else:
                    self.deferred.discard(id)

    def require(self, id: str) -> Any:
        self.start_deferred()
        row = self.store.instance(id) if isinstance(id, str) else None
        if row is None:
            raise JsException(E.NOT_FOUND)
        return row

    def start(self, id: str) -> None:
        """Run (or re-run, replaying completed steps) the instance, if the Worker is attached and loaded.

        While ``flarebind dev`` serves a Worker that failed to load, instances wait (``deferred``) instead of
        erroring; the next binding call after a good reload starts them."""
        if self.host.runner is None or id in self.tasks:
            return
        if self.host.runner.worker is None:
            self.deferred.add(id)
            return
        self.deferred.discard(id)
        task = asyncio.get_running_loop().create_task(self._drive(id), name=f"workflow {self.name}/{id}")
        self.tasks[id] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self.tasks.get(id) is done:
                del self.tasks[id]

        task.add_done_callback(forget)

    async def _stop(self, id: str) -> None:
        task = self.tasks.pop(id, None)
        self.pause_requested.discard(id)
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except BaseException:
                pass

    async def _drive(self, id: str) -> None:
        row = self.store.instance(id)
        if row is None:
            return
        now = self.now_ms()
        self.store.set_status(id, "running", started_ms=row["started_ms"] or now)
        event = JsObject(
            payload=serial.loads(row["params"]),
            timestamp=_dt.datetime.fromtimestamp(row["created_ms"] / 1000, tz=_dt.timezone.utc),
            instanceId=id,
            workflowName=self.name,
        )
        from flarebind.runtime.workflows.step import WorkflowStep

        step = WorkflowStep(self, id, implicit=self.host.implicit_dependencies())
        try:
            output = await self.host.run_entrypoint(self, event, step)
            text = serial.dumps(output)
        except Paused:
            self.pause_requested.discard(id)
            self.store.set_status(id, "paused", paused_ms=self.now_ms())
            return
        except asyncio.CancelledError:
            raise  # pause / terminate / restart / shutdown: the caller records the status
        except Exception as exc:
            if E.is_non_retryable(exc) and not self.host.preserve_non_retryable():
                record = {"name": "WorkflowFatalError", "message": E.NON_RETRYABLE_UNHANDLED}
            elif isinstance(exc, serial.NotSerialisable):
                record = {"name": "WorkflowFatalError", "message": f"Workflow output is not serialisable: {exc}"}
            else:
                record = E.error_record(exc)
            self.store.set_status(id, "errored", ended_ms=self.now_ms(), error=serial.dumps(record))
            self.host.log(
                f"✘ [ERROR] Workflow {self.name} instance {id} errored: {record['name']}: {record['message']}"
            )
            return
        self.store.set_status(id, "complete", ended_ms=self.now_ms(), output=text)

    def status(self, id: str) -> JsObject:
        row = self.require(id)
        outputs = self._outputs_of(id)
        result = JsObject(
            status=row["status"], __LOCAL_DEV_STEP_OUTPUTS=list(outputs), output=serial.loads(row["output"])
        )
        if row["error"] is not None:
            result["error"] = serial.loads(row["error"])
        return result

    def _outputs_of(self, id: str) -> list[Any]:
        """As Miniflare's ``status()``: step results and the payload of each received event, in completion order."""
        outputs = self._outputs.get(id)
        if outputs is None:
            outputs = []
            for row in self.store.outputs(id):
                value = serial.loads(row["value"])
                outputs.append(value["payload"] if row["kind"] == "wait" else value)
            self._outputs[id] = outputs
        return outputs

    def _forget(self, id: str) -> None:
        self._outputs.pop(id, None)
        self._step_counts.pop(id, None)

    async def pause(self, id: str) -> None:
        status = self.require(id)["status"]
        if status not in LIVE:
            return
        if self.in_step.get(id):
            # a step callback is running: it finishes, its result is stored, then the instance pauses
            self.pause_requested.add(id)
            self.store.set_status(id, "waitingForPause")
            return
        await self._stop(id)
        self.store.set_status(id, "paused", paused_ms=self.now_ms())

    async def resume(self, id: str) -> None:
        row = self.require(id)
        if row["status"] == "waitingForPause":
            self.pause_requested.discard(id)
            self.store.set_status(id, "running")
            return
        if row["status"] != "paused":
            return
        if row["paused_ms"] is not None:
            self.store.shift_waits(id, self.now_ms() - row["paused_ms"])
        self.store.set_status(id, "queued", paused_ms=None)
        self.start(id)

    async def terminate(self, id: str) -> None:
        if self.require(id)["status"] in FINITE:
            raise E.instance_error("Cannot terminate instance since its on a finite state", "instance.cannot_terminate")
        await self._stop(id)
        self.store.set_status(id, "terminated", ended_ms=self.now_ms())

    async def restart(self, id: str) -> None:
        self.require(id)
        await self._stop(id)
        self.store.wipe_steps(id)
        self.store.release_events(id)
        self._forget(id)
        self.store.set_status(id, "queued", started_ms=None, ended_ms=None, paused_ms=None, output=None, error=None)
        self.start(id)

    def send_event(self, id: str, type: Any, payload: Any) -> None:
        self.require(id)
        if not isinstance(type, str) or not type:
            raise TypeError("sendEvent() needs an event type (a non-empty string)")
        self.store.add_event(id, type, serial.dumps(payload), self.now_ms())
        self.waker(id).set()

    def delete(self, id: str) -> None:
        task = self.tasks.pop(id, None)
        if task is not None:
            task.cancel()
        self.store.delete_instance(id)
        self._forget(id)

    def resume_after_restart(self) -> None:
        """Start every instance a previous process left unfinished (replaying its completed steps)."""
        for row in self.store.instances():
            if row["status"] == "waitingForPause":
                self.store.set_status(row["id"], "paused", paused_ms=self.now_ms())
            elif row["status"] in LIVE:
                self.start(row["id"])

    async def shutdown(self) -> None:
        tasks = list(self.tasks.values())
        self.tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except BaseException:
                pass

    # -- steps (called by step.WorkflowStep) ----------------------------------------------------------------------

    def _set_waiting(self, id: str, waiting: bool) -> None:
        row = self.store.instance(id)
        if row is None:
            return
        if waiting and row["status"] == "running":
            self.store.set_status(id, "waiting")
        elif not waiting and row["status"] == "waiting":
            self.store.set_status(id, "running")

    def _check_pause(self, id: str) -> None:
        if id in self.pause_requested:
            raise Paused()

    async def run_step(
        self, id: str, name: Any, config: Any, count: int, callback: Callable[[dict[str, Any]], Awaitable[Any]]
    ) -> Any:
        if not _valid_step_name(name):
            raise E.WorkflowFatalError(
                f'Step name "{name}" exceeds max length ({MAX_STEP_NAME} chars) or invalid characters found'
            )
        cfg = step_config(name, config)
        key = f"{_hash(name)}-{count}"
        store = self.store
        row = store.step(id, key)
        if row is not None and row["done"]:
            if row["error"] is not None:
                raise E.rebuild(serial.loads(row["error"]))
            return serial.loads(row["value"])
        self._check_pause(id)
        if row is None:
            count_so_far = self._step_counts.get(id)
            if count_so_far is None:
                count_so_far = store.count_steps(id)
            if count_so_far >= self.step_limit:
                raise E.WorkflowFatalError(
                    f"The limit of {self.step_limit} steps has been reached. "
                    "This limit can be changed in your worker configuration."
                )
            store.start_step(id, key, "do", name, self.now_ms(), serial.dumps(cfg))
            self._step_counts[id] = count_so_far + 1
            row = store.step(id, key)
        attempts = int(row["attempts"]) if row is not None else 0
        wake = row["wake_ms"] if row is not None else None
        attempt_log = json.loads(row["attempt_log"]) if row is not None and row["attempt_log"] else []
        limit = cfg["retries"]["limit"]
        while True:
            if wake is not None:  # a retry delay, possibly left over from before a restart or pause
                self._set_waiting(id, True)
                await self.wait_ms(wake)
                self._set_waiting(id, False)
            attempts += 1
            attempt_log.append({"start": self.now_ms(), "end": None, "success": None, "error": None})
            store.update_step(id, key, attempts=attempts, wake_ms=None, attempt_log=json.dumps(attempt_log))
            ctx = JsObject(step=JsObject(name=name, count=count), attempt=attempts, config=cfg)
            self.in_step[id] = self.in_step.get(id, 0) + 1
            try:
                value = await self._attempt(callback(ctx), cfg["timeout"])
                text = serial.dumps(value)
            except (asyncio.CancelledError, Paused):
                raise
            except serial.NotSerialisable:
                record = {
                    "name": "WorkflowFatalError",
                    "message": f'Value returned from step "{name}" is not serialisable',
                }
                store.update_step(id, key, done=1, ended_ms=self.now_ms(), error=serial.dumps(record))
                raise E.WorkflowFatalError(
                    f'The execution of the Workflow instance was terminated, as the step "{name}" returned a value '
                    "which is not serialisable"
                ) from None
            except Exception as exc:
                record = E.error_record(exc)
                attempt_log[-1].update(end=self.now_ms(), success=False, error=record)
                if E.is_non_retryable(exc) or attempts >= limit + 1:
                    store.update_step(
                        id,
                        key,
                        done=1,
                        ended_ms=self.now_ms(),
                        error=serial.dumps(record),
                        attempt_log=json.dumps(attempt_log),
                    )
                    self._check_pause(id)
                    raise E.rebuild(record) from None
                wake = self.now_ms() + retry_delay_ms(cfg, attempts)
                store.update_step(id, key, wake_ms=wake, error=None, attempt_log=json.dumps(attempt_log))
                self.host.log(
                    f"▲ [WARNING] Workflow {self.name} instance {id}: step {name!r} attempt {attempts} failed "
                    f"({record['name']}: {record['message']}); retrying"
                )
                continue
            finally:
                self.in_step[id] -= 1
                self.steps_run += 1
            attempt_log[-1].update(end=self.now_ms(), success=True)
            store.update_step(id, key, done=1, ended_ms=self.now_ms(), value=text, attempt_log=json.dumps(attempt_log))
            result = serial.loads(text)
            if id in self._outputs:
                self._outputs[id].append(result)
            self._check_pause(id)
            return result

    async def _attempt(self, awaitable: Awaitable[Any], timeout_ms: float) -> Any:
        task = asyncio.ensure_future(awaitable)
        done = asyncio.Event()
        task.add_done_callback(lambda _t: done.set())
        try:
            await self.wait_ms(self.now_ms() + timeout_ms, done)
        except BaseException:
            task.cancel()
            raise
        if not task.done():
            task.cancel()
            raise E.WorkflowTimeoutError(f"Execution timed out after {int(timeout_ms)}ms")
        return task.result()

    async def sleep(self, id: str, name: Any, deadline: Callable[[], float], key_text: str, count: int) -> None:
        if not _valid_step_name(name):
            raise E.WorkflowFatalError(
                f'Step name "{name}" exceeds max length ({MAX_STEP_NAME} chars) or invalid characters found'
            )
        key = f"{_hash(key_text)}-{count}"
        row = self.store.step(id, key)
        if row is not None and row["done"]:
            return
        self._check_pause(id)
        if row is None:
            wake = deadline()
            self.store.start_step(id, key, "sleep", name, self.now_ms(), None)
            self.store.update_step(id, key, wake_ms=wake)
        else:
            wake = row["wake_ms"]
        self._set_waiting(id, True)
        await self.wait_ms(wake)
        self.store.update_step(id, key, done=1, ended_ms=self.now_ms(), value="null")
        self._set_waiting(id, False)

    async def sleep_for(self, id: str, name: Any, duration: Any, count_of: Callable[[str], int]) -> None:
        ms = to_ms(duration, "sleep duration")
        key_text = f"{name}{int(ms)}"
        await self.sleep(id, name, lambda: self.now_ms() + ms, key_text, count_of("sleep-" + key_text))

    async def sleep_until(self, id: str, name: Any, when: Any, count_of: Callable[[str], int]) -> None:
        target = timestamp_ms(when)
        key_text = f"{name}{int(target)}"
        count = count_of("sleepUntil-" + key_text)

        def deadline() -> float:
            if target < self.now_ms():
                raise JsException("You can't sleep until a time in the past, time-traveler")
            return target

        await self.sleep(id, name, deadline, key_text, count)

    async def wait_for_event(self, id: str, name: Any, type: Any, timeout: Any, count: int) -> Any:
        if not _valid_step_name(name):
            raise E.WorkflowFatalError(
                f'Step name "{name}" exceeds max length ({MAX_STEP_NAME} chars) or invalid characters found'
            )
        timeout_ms = to_ms(timeout, "waitForEvent timeout")
        key = f"{_hash(f'{name}-{count}')}-{count}"
        store = self.store
        row = store.step(id, key)
        if row is not None and row["done"]:
            if row["error"] is not None:
                raise E.rebuild(serial.loads(row["error"]))
            return serial.loads(row["value"])
        self._check_pause(id)
        if row is None:
            store.start_step(id, key, "wait", name, self.now_ms(), serial.dumps({"type": type, "timeout": timeout_ms}))
            store.update_step(id, key, wake_ms=self.now_ms() + timeout_ms)
            row = store.step(id, key)
            assert row is not None
        deadline = row["wake_ms"]
        waker = self.waker(id)
        self._set_waiting(id, True)
        try:
            while True:
                waker.clear()
                taken = store.event(id, key) or store.take_event(id, type, key, self.now_ms())
                if taken is not None:
                    result = {
                        "payload": serial.loads(taken["payload"]),
                        "type": taken["type"],
                        "timestamp": _dt.datetime.fromtimestamp(taken["timestamp_ms"] / 1000, tz=_dt.timezone.utc),
                    }
                    text = serial.dumps(result)
                    store.update_step(id, key, done=1, ended_ms=self.now_ms(), value=text)
                    received = serial.loads(text)
                    if id in self._outputs:
                        self._outputs[id].append(received["payload"])
                    return received
                if self.now_ms() >= deadline:
                    record = {
                        "name": "WorkflowTimeoutError",
                        "message": f"Execution timed out after {int(timeout_ms)}ms",
                    }
                    store.update_step(id, key, done=1, ended_ms=self.now_ms(), error=serial.dumps(record))
                    raise E.WorkflowTimeoutError(record["message"])
                await self.wait_ms(deadline, waker)
        finally:
            self._set_waiting(id, False)
