async def test_put_get_list_delete(worker):
    assert (await worker.fetch("/kv/theme", method="PUT", body="dark")).status == 201
    await worker.fetch("/kv/lang", method="PUT", body="en")

    got = await worker.fetch("/kv/theme")
    assert got.status == 200
    assert await got.text() == "dark"
    assert got.headers["x-metadata-by"] == "kv-example"

    listing = await worker.fetch("/kv?prefix=th")
    assert await listing.json() == {"keys": ["theme"]}

    assert (await worker.fetch("/kv/theme", method="DELETE")).status == 204
    assert (await worker.fetch("/kv/theme")).status == 404


async def test_env_fixture_sees_the_same_namespace_type(env):
    await env.SETTINGS.put("k", "v")
    assert await env.SETTINGS.get("k") == "v"
