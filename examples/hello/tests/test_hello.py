"""Runs with flarebind's pytest plugin: `worker` is this directory's Worker, in process, with fresh local state."""

import json


async def test_counter_counts_visits(worker):
    first = await worker.fetch("/")
    second = await worker.fetch("/")
    assert first.status == 200
    assert await first.text() == "Hello from Python! You are visitor number 1."
    assert await second.text() == "Hello from Python! You are visitor number 2."
    assert await worker.env.COUNTER.get("visits") == "2"


async def test_notes_are_stored_in_d1(worker):
    empty = await worker.fetch("/notes")
    assert await empty.json() == []
    created = await worker.fetch("/notes", method="POST", body=json.dumps({"text": "buy milk"}))
    assert created.status == 200
    assert created.headers["content-type"] == "application/json"
    assert await created.json() == [{"id": 1, "text": "buy milk"}]
    rows = await worker.env.DB.prepare("SELECT text FROM notes").all()
    assert [row["text"] for row in rows.results] == ["buy milk"]


async def test_unknown_path_is_404(worker):
    response = await worker.fetch("/nope")
    assert response.status == 404
