import json


async def test_insert_query_and_count(worker):
    for name, city in (("Ada", "London"), ("Grace", "New York"), ("Alan", "London")):
        created = await worker.fetch("/customers", method="POST", body=json.dumps({"name": name, "city": city}))
        assert created.status == 201

    london = await worker.fetch("/customers?city=London")
    assert [c["name"] for c in await london.json()] == ["Ada", "Alan"]

    stats = await worker.fetch("/stats")
    assert await stats.json() == {"total": 3}


async def test_each_test_starts_empty(worker):
    stats = await worker.fetch("/stats")
    assert await stats.json() == {"total": 0}
