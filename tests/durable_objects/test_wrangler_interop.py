"""flarebind and real ``wrangler dev`` (workerd) open each other's Durable Objects: same ids, files, KV values
(V8 format), SQL tables and alarms. The JS object and the Python object share the class name ``Counter``."""

from __future__ import annotations

import json
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flarebind.runtime.runtime import Runtime
from flarebind.testing.remote_proxy import free_port
from flarebind.testing.wrangler import wrangler_dev

pytestmark = pytest.mark.wrangler

WORKER_JS = """
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  async fetch(request) {
    const s = this.ctx.storage;
    if (new URL(request.url).pathname === "/write") {
      await s.put({ str: "from wrangler ✓", num: 42, float: 2.5, obj: { a: 1, nested: [true, null] },
                    bytes: new Uint8Array([1, 2, 255]), date: new Date(1700000000123),
                    map: new Map([["k", 1]]), set: new Set(["x"]), big: 12345678901234567890n });
      s.sql.exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT, qty REAL)");
      s.sql.exec("INSERT INTO items (name, qty) VALUES (?, ?), (?, ?)", "apple", 1.5, "pear", 3);
      await s.setAlarm(4102444800000);
      return new Response("written");
    }
    const all = Object.fromEntries(await s.list());
    const describe = (v) => v instanceof Uint8Array ? { u8: Array.from(v) }
      : v instanceof Date ? { date: v.getTime() }
      : v instanceof Map ? { map: Array.from(v) }
      : v instanceof Set ? { set: Array.from(v) }
      : typeof v === "bigint" ? { bigint: String(v) } : v;
    const values = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, describe(v)]));
    const rows = s.sql.exec("SELECT name, qty FROM notes ORDER BY name").toArray();
    return Response.json({ id: this.ctx.id.toString(), name: this.ctx.id.name ?? null, values, rows,
                           alarm: await s.getAlarm() });
  }
  async alarm() {}
}

export default {
  async fetch(request, env) {
    return env.COUNTER.getByName("shared").fetch(request);
  }
};
"""

WORKER_PY = """
import datetime
from pyodide.ffi import to_js
from workers import DurableObject, WorkerEntrypoint


class Counter(DurableObject):
    async def read(self):
        storage = self.ctx.storage
        return {
            "values": await storage.list(),
            "rows": storage.sql.exec("SELECT name, qty FROM items ORDER BY id").toArray(),
            "alarm": await storage.getAlarm(),
        }

    async def write(self):
        storage = self.ctx.storage
        await storage.put({
            "str": "from flarebind ✓", "num": 7, "float": 0.25, "obj": {"b": [1, "two", None]},
            "bytes": b"\\x00\\x10", "date": datetime.datetime(2024, 1, 2, 3, 4, 5, 678000),
            "map": to_js({"m": 2}), "set": {"y"}, "big": 2**70,
        })
        storage.sql.exec("CREATE TABLE notes (name TEXT, qty INTEGER)")
        storage.sql.exec("INSERT INTO notes VALUES (?, ?), (?, ?)", "a", 1, "b", 2)
        await storage.setAlarm(4102444800000)

    async def alarm(self):
        pass


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return None
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text(WORKER_JS)
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER_PY))
    (tmp_path / "wrangler.toml").write_text(
        'name = "interop"\nmain = "src/index.js"\ncompatibility_date = "2026-05-01"\n\n'
        '[[durable_objects.bindings]]\nname = "COUNTER"\nclass_name = "Counter"\n\n'
        '[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Counter"]\n'
    )
    return tmp_path


def runtime(project: Path) -> Runtime:
    spec = {"class_name": "Counter", "use_sqlite": True, "worker_name": "interop"}
    return Runtime(
        main=project / "src" / "entry.py",
        durable_objects={"COUNTER": spec},
        persist_to=project / "state",
        compatibility_date="2026-05-01",
    )


def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as resp:
        return resp.read().decode()


def with_wrangler(project: Path, path: str) -> str:
    port = free_port()
    with wrangler_dev(project, port, project / "state") as dev:
        for _ in range(900):  # wait for the dev server (polling, not a timing assertion)
            if dev.poll() is not None:
                raise AssertionError(dev.stdout.read().decode(errors="replace") if dev.stdout else "wrangler exited")
            try:
                return http_get(f"http://127.0.0.1:{port}{path}")
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
    raise AssertionError("wrangler dev never answered")


async def test_flarebind_reads_an_object_wrangler_wrote(project):
    assert with_wrangler(project, "/write") == "written"
    async with runtime(project) as rt:
        stub = await rt.get_durable_object("COUNTER", "shared")
        got = await stub.read()
    values = got["values"]
    assert values["str"] == "from wrangler ✓" and values["num"] == 42 and values["float"] == 2.5
    assert values["obj"] == {"a": 1, "nested": [True, None]} and values["obj"].nested == [True, None]
    assert bytes(values["bytes"]) == b"\x01\x02\xff"
    assert values["date"] == __import__("datetime").datetime(2023, 11, 14, 22, 13, 20, 123000)
    assert values["map"] == {"k": 1} and values["set"] == {"x"} and values["big"] == 12345678901234567890
    assert got["rows"] == [{"name": "apple", "qty": 1.5}, {"name": "pear", "qty": 3}]
    assert got["alarm"] == 4102444800000


async def test_wrangler_reads_an_object_flarebind_wrote(project):
    async with runtime(project) as rt:
        stub = await rt.get_durable_object("COUNTER", "shared")
        await stub.write()
    got = json.loads(with_wrangler(project, "/read"))
    assert got["name"] == "shared"
    assert got["values"] == {
        "big": {"bigint": str(2**70)},
        "bytes": {"u8": [0, 16]},
        "date": {"date": 1704164645678},
        "float": 0.25,
        "map": {"map": [["m", 2]]},
        "num": 7,
        "obj": {"b": [1, "two", None]},
        "set": {"set": ["y"]},
        "str": "from flarebind ✓",
    }
    assert got["rows"] == [{"name": "a", "qty": 1}, {"name": "b", "qty": 2}]
    assert got["alarm"] == 4102444800000
