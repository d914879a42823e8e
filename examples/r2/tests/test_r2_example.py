async def test_upload_download_list_delete(worker):
    body = b"\x89PNG fake image bytes" * 100
    created = await worker.fetch("/files/logo.png", method="PUT", body=body, headers={"content-type": "image/png"})
    assert created.status == 201
    assert (await created.json())["key"] == "logo.png"

    got = await worker.fetch("/files/logo.png")
    assert got.status == 200
    assert got.headers["content-type"] == "image/png"
    assert await got.bytes() == body

    listing = await worker.fetch("/files")
    assert await listing.json() == [{"key": "logo.png", "size": len(body)}]

    assert (await worker.fetch("/files/logo.png", method="DELETE")).status == 204
    assert (await worker.fetch("/files/logo.png")).status == 404
