"""A plugin tested without installing it: registered in-process through the pytest plugin's `flarebind_plugins`
fixture, then used through `env` (platform_proxy), `worker` (a Worker in process) and `project_from_config`."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from flarebind.plugin import BindingType, JsObject, Support, hookimpl, project_from_config


class Counter:
    def __init__(self, start: int) -> None:
        self.value = start

    async def next(self) -> int:
        self.value += 1
        return self.value

    async def info(self) -> JsObject:
        return JsObject({"value": self.value})


def make_plugin() -> types.ModuleType:
    module = types.ModuleType("counters")

    @hookimpl
    def register_binding_types(register):
        register(
            BindingType(
                type="counter",
                config_key="counters",
                friendly_name="Counter",
                support=Support.LOCAL_ONLY,
                fields={"binding": str, "start": int},
                required=("binding",),
            )
        )

    @hookimpl
    def register_adapters(register):
        register.local("counter", lambda name, spec, ctx: Counter(spec.get("start", 0)))

    module.register_binding_types = register_binding_types
    module.register_adapters = register_adapters
    return module


@pytest.fixture
def flarebind_plugins():
    return [make_plugin()]


@pytest.fixture
def flarebind_config(tmp_path: Path) -> Path:
    (tmp_path / "entry.py").write_text(
        "from workers import Response, WorkerEntrypoint\n\n"
        "class Default(WorkerEntrypoint):\n"
        "    async def fetch(self, request):\n"
        "        return Response(str(await self.env.COUNT.next()))\n"
    )
    path = tmp_path / "wrangler.toml"
    path.write_text(
        'name = "c"\nmain = "entry.py"\ncompatibility_date = "2026-05-01"\n\n'
        '[[counters]]\nbinding = "COUNT"\nstart = 41\n'
    )
    return path


async def test_env_builds_the_in_process_plugins_binding(env):
    assert await env.COUNT.next() == 42
    assert (await env.COUNT.info()).value == 42


async def test_the_worker_fixture_sees_it(worker):
    assert await (await worker.fetch("/")).text() == "42"
    assert await (await worker.fetch("/")).text() == "43"


def test_without_the_plugin_the_key_is_unknown(tmp_path):
    project = project_from_config(tmp_path, '[[counters]]\nbinding = "COUNT"\n')
    assert [b.name for b in project.config.bindings] == []
    assert any(
        'Unexpected fields found in top-level field: "counters"' in d.message for d in project.config.diagnostics
    )
