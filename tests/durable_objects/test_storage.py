"""``ctx.storage``: the async and sync KV APIs, SQL, transactions and alarms (with a fake clock)."""

from __future__ import annotations

import datetime
import re
import sqlite3

import pytest
from flarebind.errors import JsException


def exact(text: str) -> str:
    """Cloudflare's texts are compared whole, not as regexes."""
    return "^" + re.escape(text) + "$"


def starts(text: str) -> str:
    return "^" + re.escape(text)


WORKER = """
from workers import DurableObject, WorkerEntrypoint

RUNS = []


class Store(DurableObject):
    async def run(self, code):
        # tests send small async snippets; they see `storage` and `sql` like the object's own methods do
        scope = {"storage": self.ctx.storage, "ctx": self.ctx}
        exec("async def _snippet():\\n" + "\\n".join("    " + line for line in code.splitlines()), scope)
        return await scope["_snippet"]()

    async def alarm(self, info):
        RUNS.append((self.ctx.id.name, info.retryCount, info.isRetry, await self.ctx.storage.getAlarm()))
        if await self.ctx.storage.get("fail"):
            raise RuntimeError("alarm failed")
        if await self.ctx.storage.get("again"):
            await self.ctx.storage.delete("again")
            await self.ctx.storage.setAlarm(await self.ctx.storage.get("again_at"))


class Legacy(DurableObject):
    def sql(self):
        return self.ctx.storage.sql

    def sync(self):
        return self.ctx.storage.transactionSync(lambda: 1)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return None
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def store(run_worker, tmp_path, clock):
    rt = await run_worker(
        WORKER,
        durable_objects={
            "STORE": {"class_name": "Store", "use_sqlite": True, "worker_name": "w"},
            "LEGACY": {"class_name": "Legacy", "worker_name": "w"},
        },
        in_memory=False,
        persist_to=tmp_path / "state",
        clock=clock,
    )
    stub = await rt.get_durable_object("STORE", "s")
    stub.rt = rt
    return stub


async def run(stub, code):
    return await stub.run(code)


async def test_get_put_delete_single_and_batch(store):
    assert await run(store, "return await storage.get('missing')") is None
    await run(store, "await storage.put('b', {'x': [1, 2]})\nawait storage.put({'a': 1, 'c': 'three', 'd': None})")
    value = await run(store, "return await storage.get('b')")
    assert value == {"x": [1, 2]} and value.x == [1, 2]
    assert await run(store, "return await storage.get(['c', 'zz', 'a'])") == {"a": 1, "c": "three"}
    assert list(await run(store, "return await storage.get(['c', 'a'])")) == ["a", "c"]  # sorted by key
    assert await run(store, "return await storage.delete('a')") is True
    assert await run(store, "return await storage.delete('a')") is False
    assert await run(store, "return await storage.delete(['b', 'c', 'nope'])") == 2
    assert await run(store, "return await storage.get('d')") is None


async def test_list_options(store):
    await run(store, "await storage.put({k: i for i, k in enumerate(['a', 'ab', 'abc', 'b', 'é', 'c'])})")

    async def keys(options: str) -> list[str]:
        return list(await run(store, f"return await storage.list({options})"))

    assert await keys("") == ["a", "ab", "abc", "b", "c", "é"]  # UTF-8 byte order
    assert await keys("prefix='ab'") == ["ab", "abc"]
    assert await keys("start='ab', end='c'") == ["ab", "abc", "b"]
    assert await keys("startAfter='ab', limit=2") == ["abc", "b"]
    assert await keys("reverse=True, limit=2") == ["é", "c"]
    assert await keys("{'prefix': 'a', 'reverse': True}") == ["abc", "ab", "a"]
    with pytest.raises(TypeError, match=exact("list() cannot be called with both start and startAfter values.")):
        await keys("start='a', startAfter='b'")
    with pytest.raises(TypeError, match=exact("List limit must be positive.")):
        await keys("limit=0")
    await run(store, "await storage.deleteAll()")
    assert await keys("") == []


async def test_values_keep_their_types(store):
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000)
    value = {"when": when, "blob": b"\x00\xff", "big": 2**60, "f": 0.5, "set": {1, 2}, "neg": -3, "t": True}
    await store.run(
        "await storage.put('v', " + repr(value).replace("datetime.datetime", "__import__('datetime').datetime") + ")"
    )
    got = await run(store, "return await storage.get('v')")
    assert got == {**value, "blob": memoryview(b"\x00\xff")}
    with pytest.raises(TypeError, match="Unsupported type in RPC: tuple"):
        await run(store, "await storage.put('t', (1, 2))")


async def test_cached_values_are_fresh_copies_and_the_cache_never_hides_pending_writes(store, tmp_path, monkeypatch):
    from flarebind.runtime.durable_objects import storage as storage_module

    # a mutable value is decoded afresh on every get: changing one result changes neither the store nor the next get
    code = "await storage.put('m', {'n': [1]})\nfirst = await storage.get('m')\nfirst['n'].append(2)\n"
    code += "return [first, await storage.get('m')]"
    first, second = await run(store, code)
    assert first == {"n": [1, 2]} and second == {"n": [1]}
    # a float that V8 stores as an integer reads back as Cloudflare returns it, whether decoded or cached
    assert await run(store, "await storage.put('f', 2.0)\nreturn [await storage.get('f'), await storage.get('f')]") == [
        2,
        2,
    ]
    # trimming the cache in the middle of a turn keeps the turn's unwritten puts visible to get, delete and list
    monkeypatch.setattr(storage_module, "CACHE_LIMIT", 2)
    code = "for i in range(6):\n    await storage.put(f'k{i}', i)\n"
    code += "await storage.get('absent')\n"  # a miss finds the cache full and trims it
    code += "got = [await storage.get(f'k{i}') for i in range(6)]\n"
    code += "return [got, await storage.delete('k0'), list(await storage.list(prefix='k'))]"
    got, deleted, listed = await run(store, code)
    assert got == list(range(6)) and deleted is True and listed == ["k1", "k2", "k3", "k4", "k5"]
    # and the reply left only after they were written (another connection sees them)
    file = next((tmp_path / "state" / "v3" / "do").glob("w-Store/*.sqlite"))
    with sqlite3.connect(file) as other:
        keys = [k for (k,) in other.execute("SELECT key FROM _cf_KV WHERE key LIKE 'k%' ORDER BY key")]
    assert keys == ["k1", "k2", "k3", "k4", "k5"]


async def test_a_turn_of_many_writes_lands_whole(store, tmp_path):
    # 600 puts in one turn are written in multi-row chunks plus single rows; with a delete in the turn, the mixed path
    await run(store, "for i in range(600):\n    await storage.put(f'p{i:04d}', i)")
    await run(store, "for i in range(600, 700):\n    await storage.put(f'p{i:04d}', i)\nawait storage.delete('p0000')")
    file = next((tmp_path / "state" / "v3" / "do").glob("w-Store/*.sqlite"))
    with sqlite3.connect(file) as other:
        keys = [k for (k,) in other.execute("SELECT key FROM _cf_KV WHERE key LIKE 'p%' ORDER BY key")]
    assert keys == [f"p{i:04d}" for i in range(1, 700)]
    values = await run(store, "return [v for v in (await storage.list(prefix='p')).values()]")
    assert values == list(range(1, 700))


async def test_transactions_commit_and_roll_back(store):
    code = """
async def body(txn):
    await txn.put('in', 1)
    raise ValueError('nope')
try:
    await storage.transaction(body)
except ValueError:
    pass
async def good(txn):
    await txn.put('kept', 2)
    return 'done'
result = await storage.transaction(good)
async def rolled(txn):
    await txn.put('undone', 3)
    txn.rollback()
await storage.transaction(rolled)
return [result, await storage.get(['in', 'kept', 'undone'])]
"""
    assert await run(store, code) == ["done", {"kept": 2}]
    with pytest.raises(JsException, match=exact("Cannot call deleteAll() within a transaction")):
        await run(store, "async def f(txn):\n    await txn.deleteAll()\nawait storage.transaction(f)")


async def test_sql_api(store):
    code = """
sql = storage.sql
sql.exec("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, data BLOB); INSERT INTO people (name) VALUES ('x')")
cursor = sql.exec("INSERT INTO people (name, data) VALUES (?, ?), (?, ?)", "ann", b"\\x01", "bob", None)
written = cursor.rowsWritten
rows = sql.exec("SELECT id, name FROM people ORDER BY id")
return {
    "written": written, "columns": rows.columnNames, "rows": rows.toArray(), "read": rows.rowsRead,
    "raw": list(sql.exec("SELECT name FROM people WHERE id > ?", 1).raw()),
    "one": sql.exec("SELECT count(*) AS n FROM people").one(),
    "size": sql.databaseSize > 0,
    "blob": bytes(sql.exec("SELECT data FROM people WHERE name = 'ann'").one()["data"]),
    "sync": storage.transactionSync(lambda: sql.exec("UPDATE people SET name = 'b' WHERE id = 3").rowsWritten),
}
"""
    result = await run(store, code)
    assert result["written"] == 2 and result["columns"] == ["id", "name"]
    assert result["rows"] == [{"id": 1, "name": "x"}, {"id": 2, "name": "ann"}, {"id": 3, "name": "bob"}]
    assert result["read"] == 3 and result["raw"] == [["ann"], ["bob"]] and result["one"] == {"n": 3}
    assert result["size"] and result["blob"] == b"\x01" and result["sync"] == 1
    with pytest.raises(JsException, match=exact("Expected exactly one result from SQL query, but got no results.")):
        await run(store, "storage.sql.exec('SELECT * FROM people WHERE id = 99').one()")
    with pytest.raises(JsException, match=starts("To execute a transaction, please use the state.storage.transaction")):
        await run(store, "storage.sql.exec('BEGIN TRANSACTION')")
    with pytest.raises(JsException, match="SQLITE_AUTH"):
        await run(store, "storage.sql.exec('SELECT * FROM _cf_KV')")
    with pytest.raises(JsException, match="no such table: missing_table"):
        await run(store, "storage.sql.exec('SELECT * FROM missing_table')")
    legacy = await store.rt.get_durable_object("LEGACY", "l")
    with pytest.raises(JsException, match=starts("SQL is not enabled for this Durable Object class.")):
        await legacy.sql()
    with pytest.raises(JsException, match=exact("Durable Object is not backed by SQL.")):
        await legacy.sync()


async def test_sql_repeated_texts_bindings_and_partial_cursors(store):
    code = """
sql = storage.sql
sql.exec("CREATE TABLE t (a, b)")
counts = []
for _ in range(3):  # the same texts: split once, run each time
    sql.exec("INSERT INTO t (a, b) VALUES (?, ?)", True, b"\\x02")
    counts.append(sql.exec("SELECT 1; SELECT count(*) AS n FROM t").one()["n"])
cursor = sql.exec("SELECT rowid AS id, a, b FROM t ORDER BY rowid")
first = cursor.next()
rest = cursor.toArray()
return [counts, first, rest, cursor.toArray(), cursor.next()]
"""
    counts, first, rest, empty, done = await run(store, code)
    assert counts == [1, 2, 3]
    assert first == {"done": False, "value": {"id": 1, "a": 1, "b": memoryview(b"\x02")}}
    assert rest == [{"id": 2, "a": 1, "b": memoryview(b"\x02")}, {"id": 3, "a": 1, "b": memoryview(b"\x02")}]
    assert type(rest[0]["b"]) is memoryview and empty == [] and done == {"done": True}
    for _ in range(2):  # an empty text fails every time, not only before it is remembered
        with pytest.raises(JsException, match=exact("SQL code did not contain a statement.")):
            await run(store, "storage.sql.exec('   ')")


async def test_sql_cannot_reach_the_kv_table_through_the_runtimes_own_statements(store):
    # the runtime has just prepared its own read of _cf_KV; the same text from user SQL is still refused
    from flarebind.runtime.durable_objects.sql import RUNTIME

    await run(store, "await storage.put('k', 'v')")
    for text in ("SELECT value FROM _cf_KV WHERE key = ?", RUNTIME + "SELECT value FROM _cf_KV WHERE key = ?"):
        code = f"storage._cache.clear()\nawait storage.get('k')\nreturn storage.sql.exec({text!r}, 'k').toArray()"
        with pytest.raises(JsException, match=exact("not authorized: SQLITE_AUTH")):
            await run(store, code)


async def test_sync_kv_api_shares_the_table(store):
    code = """
kv = ctx.storage.kv
kv.put('k', [1, 'x'])
return [kv.get('k'), await storage.get('k'), kv.delete('k'), kv.get('k'), list(kv.list())]
"""
    assert await run(store, code) == [[1, "x"], [1, "x"], True, None, []]


async def test_alarms_fire_on_the_fake_clock_with_retries(store, clock, tmp_path):
    rt = store.rt
    runs = rt.worker.module.RUNS
    at = int((clock.now + 60) * 1000)
    await run(store, f"await storage.setAlarm({at})")
    assert await run(store, "return await storage.getAlarm()") == at
    assert await rt.run_due_alarms() == 0  # not due yet
    clock.now += 61
    assert await rt.run_due_alarms() == 1
    assert runs == [("s", 0, False, None)]  # getAlarm() is null while the handler runs
    assert await run(store, "return await storage.getAlarm()") is None

    # a throwing handler is retried (2 s, 4 s, … later), counting retries
    await run(store, f"await storage.put('fail', True)\nawait storage.setAlarm({int(clock.now * 1000)})")
    assert await rt.run_due_alarms() == 1
    retry_at = await run(store, "return await storage.getAlarm()")
    assert 2000 <= retry_at - int(clock.now * 1000) <= 2500
    clock.now += 3
    assert await rt.run_due_alarms() == 1
    assert runs[-1] == ("s", 1, True, None)
    await run(store, "await storage.delete('fail')")
    assert await rt.dispatch_alarm("STORE", "s") is True  # run now, whatever its time
    assert await run(store, "return await storage.getAlarm()") is None
    assert await rt.dispatch_alarm("STORE", "s") is False

    # persisted where Miniflare keeps it: the object's _cf_METADATA and the class folder's metadata.sqlite
    later = int((clock.now + 3600) * 1000)
    await run(store, f"await storage.setAlarm({later})")
    folder = tmp_path / "state" / "v3" / "do" / "w-Store"
    with sqlite3.connect(folder / "metadata.sqlite") as meta:
        assert meta.execute("SELECT actor_id, scheduled_time FROM _cf_ALARM").fetchall() == [
            (store.id.toString(), later * 1_000_000)
        ]
    with sqlite3.connect(folder / f"{store.id.toString()}.sqlite") as obj:
        assert obj.execute("SELECT value FROM _cf_METADATA WHERE key = 1").fetchone() == (later * 1_000_000,)


async def test_alarm_survives_a_restart_and_restores_the_name(run_worker, tmp_path, clock):
    options = {
        "durable_objects": {"STORE": {"class_name": "Store", "use_sqlite": True, "worker_name": "w"}},
        "in_memory": False,
        "persist_to": tmp_path / "state",
        "clock": clock,
    }
    rt = await run_worker(WORKER, **options)
    stub = await rt.get_durable_object("STORE", "named")
    await stub.run(f"await storage.setAlarm({int((clock.now + 10) * 1000)})")
    await rt.dispose()
    rt = await run_worker(WORKER, **options)
    clock.now += 11
    assert await rt.run_due_alarms() == 1
    assert rt.worker.module.RUNS == [("named", 0, False, None)]


async def test_set_alarm_errors(run_worker):
    source = WORKER.replace("    async def alarm(self, info):", "    async def not_alarm(self, info):")
    rt = await run_worker(source, durable_objects={"STORE": {"class_name": "Store"}})
    stub = await rt.get_durable_object("STORE", "x")
    with pytest.raises(TypeError, match=exact("setAlarm() cannot be called with an alarm time <= 0")):
        await stub.run("await storage.setAlarm(0)")
    message = "Your Durable Object class must have an alarm() handler in order to call setAlarm()"
    with pytest.raises(TypeError, match=exact(message)):
        await stub.run("await storage.setAlarm(1000)")
