"""R2 conformance: the binding interface as the Workers runtime defines it, exact texts included.

Written against ``make_binding`` so it runs on every path (local simulation; remote proxy when enabled). Only
behaviour Cloudflare's implementations agree on is asserted here; simulator-specific details live in
plugins/flarebind-r2/tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
from flarebind.errors import JsException

MiB = 1024 * 1024


@pytest.fixture
async def bucket(make_binding):
    return await make_binding("r2_bucket", {"bucket_name": "conf-bucket"})


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


async def error_of(coro) -> str:
    with pytest.raises(JsException) as info:
        await coro
    return str(info.value)


# -- put / head / get --------------------------------------------------------------------------------------------


async def test_put_returns_the_object_metadata(bucket):
    obj = await bucket.put(
        "greeting", "hello", httpMetadata={"contentType": "text/plain"}, customMetadata={"lang": "en"}
    )
    assert obj.key == "greeting"
    assert obj.size == 5
    assert obj.etag == md5(b"hello")
    assert obj.httpEtag == f'"{md5(b"hello")}"'
    assert re.fullmatch(r"[0-9a-f]{32}", obj.version)
    assert isinstance(obj.uploaded, dt.datetime)
    assert abs(obj.uploaded.timestamp() - dt.datetime.now(dt.timezone.utc).timestamp()) < 60
    assert obj.httpMetadata == {"contentType": "text/plain"}
    assert obj.customMetadata == {"lang": "en"}
    assert obj.checksums.md5 == hashlib.md5(b"hello").digest()
    assert obj.checksums.toJSON() == {"md5": md5(b"hello")}


async def test_head_and_get_see_what_put_stored(bucket):
    put = await bucket.put(
        "k",
        b"\x00\x01binary",
        httpMetadata={"contentType": "application/octet-stream", "cacheControl": "max-age=60"},
        customMetadata={"a": "1", "b": "2"},
    )
    head = await bucket.head("k")
    assert (head.key, head.size, head.etag, head.version) == ("k", 8, put.etag, put.version)
    assert head.uploaded == put.uploaded
    assert head.httpMetadata == {"contentType": "application/octet-stream", "cacheControl": "max-age=60"}
    assert head.customMetadata == {"a": "1", "b": "2"}
    assert not hasattr(head, "body")
    got = await bucket.get("k")
    assert got.range == {"offset": 0, "length": 8}
    assert got.version == put.version
    assert await got.arrayBuffer() == b"\x00\x01binary"


async def test_missing_objects_are_none(bucket):
    assert await bucket.head("nope") is None
    assert await bucket.get("nope") is None
    assert await bucket.get("nope", range={"offset": 1}) is None


async def test_cache_expiry_round_trips_as_a_datetime(bucket):
    when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    await bucket.put("c", "x", httpMetadata={"cacheExpiry": when})
    head = await bucket.head("c")
    assert head.httpMetadata["cacheExpiry"] == when
    headers: dict[str, str] = {}
    head.writeHttpMetadata(headers)
    assert headers == {"expires": "Wed, 02 Jan 2030 03:04:05 GMT"}


async def test_http_metadata_from_headers_and_write_back(bucket):
    await bucket.put(
        "h",
        "x",
        httpMetadata={
            "Content-Type": "text/html",
            "Content-Language": "fr",
            "Content-Disposition": "inline",
            "Content-Encoding": "identity",
            "Cache-Control": "no-store",
        },
    )
    obj = await bucket.get("h")
    assert obj.httpMetadata == {
        "contentType": "text/html",
        "contentLanguage": "fr",
        "contentDisposition": "inline",
        "contentEncoding": "identity",
        "cacheControl": "no-store",
    }
    headers: dict[str, str] = {}
    obj.writeHttpMetadata(headers)
    assert headers == {
        "content-type": "text/html",
        "content-language": "fr",
        "content-disposition": "inline",
        "content-encoding": "identity",
        "cache-control": "no-store",
    }


async def test_put_overwrites_with_a_new_version(bucket):
    first = await bucket.put("k", "one")
    second = await bucket.put("k", "two!")
    assert first.version != second.version
    got = await bucket.get("k")
    assert (await got.text(), got.size, got.etag) == ("two!", 4, md5(b"two!"))


# -- values ------------------------------------------------------------------------------------------------------


async def agen(*chunks: bytes):
    for c in chunks:
        yield c


@pytest.mark.parametrize(
    "value, expected",
    [
        ("text é", "text é".encode()),
        (b"bytes", b"bytes"),
        (bytearray(b"bytearray"), b"bytearray"),
        (memoryview(b"memoryview"), b"memoryview"),
        (None, b""),
        # factories, so every parametrized run (local, remote) gets a fresh, unread file object
        (lambda: io.BytesIO(b"file object"), b"file object"),
        ([b"sync ", b"iterable"], b"sync iterable"),
    ],
    ids=["str", "bytes", "bytearray", "memoryview", "none", "file", "sync-iterable"],
)
async def test_put_accepts_value_types(bucket, value, expected):
    obj = await bucket.put("v", value() if callable(value) else value)
    assert obj.size == len(expected)
    assert obj.etag == md5(expected)
    assert await (await bucket.get("v")).arrayBuffer() == expected


async def test_put_accepts_an_async_stream_and_another_objects_body(bucket):
    await bucket.put("src", agen(b"async ", b"chunks ", b"arrive"))
    src = await bucket.get("src")
    copy = await bucket.put("dst", src.body)
    assert copy.etag == md5(b"async chunks arrive")
    assert await (await bucket.get("dst")).text() == "async chunks arrive"


async def test_put_rejects_unsupported_values(bucket):
    with pytest.raises(TypeError):
        await bucket.put("bad", 12345)


# -- bodies ------------------------------------------------------------------------------------------------------


async def test_body_streams_and_can_be_read_once(bucket):
    data = bytes(range(256)) * 4096 * 3  # 3 MiB: streamed in chunks
    await bucket.put("big", data)
    obj = await bucket.get("big")
    assert obj.bodyUsed is False
    chunks = [c async for c in obj.body]
    assert obj.bodyUsed is True
    assert b"".join(chunks) == data
    with pytest.raises(TypeError) as info:
        await obj.arrayBuffer()
    assert str(info.value) == (
        "Body has already been used. It can only be used once. Use tee() first if you need to read it twice."
    )


async def test_text_json_bytes(bucket):
    await bucket.put("j", '{"a": [1, 2]}')
    assert await (await bucket.get("j")).json() == {"a": [1, 2]}
    assert await (await bucket.get("j")).text() == '{"a": [1, 2]}'
    assert await (await bucket.get("j")).bytes() == b'{"a": [1, 2]}'


# -- keys and metadata limits -------------------------------------------------------------------------------------


async def test_key_longer_than_1024_bytes_is_rejected(bucket):
    assert (await bucket.put("k" * 1024, "ok")).key == "k" * 1024
    too_long = "é" * 513  # 1026 bytes in UTF-8
    assert await error_of(bucket.put(too_long, "x")) == "put: The specified object name is not valid. (10020)"
    assert await error_of(bucket.get(too_long)) == "get: The specified object name is not valid. (10020)"
    assert await error_of(bucket.head(too_long)) == "head: The specified object name is not valid. (10020)"
    assert await error_of(bucket.delete(too_long)) == "delete: The specified object name is not valid. (10020)"
    assert await error_of(bucket.createMultipartUpload(too_long)) == (
        "createMultipartUpload: The specified object name is not valid. (10020)"
    )


async def test_custom_metadata_size_limit(bucket):
    await bucket.put("ok", "x", customMetadata={"k": "v" * 2047})
    assert await error_of(bucket.put("big", "x", customMetadata={"k": "v" * 2048})) == (
        "put: Your metadata headers exceed the maximum allowed metadata size. (10012)"
    )
    assert await bucket.head("big") is None


# -- checksums ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option, algorithm",
    [("md5", "md5"), ("sha1", "sha1"), ("sha256", "sha256"), ("sha384", "sha384"), ("sha512", "sha512")],
)
async def test_matching_checksum_is_stored(bucket, option, algorithm):
    digest = hashlib.new(algorithm, b"payload").digest()
    obj = await bucket.put("h", "payload", **{option: digest.hex()})
    assert getattr(obj.checksums, option) == digest
    obj = await bucket.put("h2", "payload", **{option: digest})
    assert obj.checksums.toJSON()[option] == digest.hex()
    head = await bucket.head("h2")
    assert getattr(head.checksums, option) == digest
    assert head.checksums.md5 == hashlib.md5(b"payload").digest()


@pytest.mark.parametrize(
    "option, name, algorithm",
    [
        ("md5", "MD5", "md5"),
        ("sha1", "SHA-1", "sha1"),
        ("sha256", "SHA-256", "sha256"),
        ("sha384", "SHA-384", "sha384"),
        ("sha512", "SHA-512", "sha512"),
    ],
)
async def test_checksum_mismatch_is_10037_with_both_values(bucket, option, name, algorithm):
    wrong = bytes(hashlib.new(algorithm).digest_size)
    actual = hashlib.new(algorithm, b"payload").hexdigest()
    message = await error_of(bucket.put("h", "payload", **{option: wrong}))
    assert message == (
        f"put: The {name} checksum you specified did not match what we received.\n"
        f"You provided a {name} checksum with value: {wrong.hex()}\n"
        f"Actual {name} was: {actual} (10037)"
    )
    assert await bucket.head("h") is None


@pytest.mark.parametrize(
    "option, name, size",
    [
        ("md5", "MD5", 16),
        ("sha1", "SHA-1", 20),
        ("sha256", "SHA-256", 32),
        ("sha384", "SHA-384", 48),
        ("sha512", "SHA-512", 64),
    ],
)
async def test_checksum_sizes(bucket, option, name, size):
    with pytest.raises(TypeError) as info:
        await bucket.put("h", "x", **{option: b"\x00" * (size - 1)})
    assert str(info.value) == f"{name} is {size} bytes, not {size - 1}"
    with pytest.raises(TypeError) as info:
        await bucket.put("h", "x", **{option: "ab"})
    assert str(info.value) == f"{name} is {size * 2} hex characters, not 2"
    with pytest.raises(TypeError) as info:
        await bucket.put("h", "x", **{option: "zz" * size})
    assert str(info.value) == f"Provided {name} wasn't a valid hex string"


async def test_only_one_hash_algorithm(bucket):
    with pytest.raises(TypeError) as info:
        await bucket.put("h", "x", md5=hashlib.md5(b"x").digest(), sha1=hashlib.sha1(b"x").digest())
    assert str(info.value) == "You cannot specify multiple hashing algorithms."


# -- conditional requests ----------------------------------------------------------------------------------------


async def test_get_with_failed_precondition_returns_metadata_without_body(bucket):
    put = await bucket.put("c", "content")
    hit = await bucket.get("c", onlyIf={"etagMatches": put.etag})
    assert await hit.text() == "content"
    miss = await bucket.get("c", onlyIf={"etagMatches": "0" * 32})
    assert miss is not None and not hasattr(miss, "body")
    assert (miss.key, miss.etag, miss.size) == ("c", put.etag, 7)
    assert await bucket.get("c", onlyIf={"etagDoesNotMatch": put.etag}) is not None
    assert not hasattr(await bucket.get("c", onlyIf={"etagDoesNotMatch": put.etag}), "body")
    assert hasattr(await bucket.get("c", onlyIf={"etagDoesNotMatch": "other"}), "body")


async def test_conditions_on_upload_time(bucket):
    put = await bucket.put("t", "x")
    before = put.uploaded - dt.timedelta(seconds=5)
    after = put.uploaded + dt.timedelta(seconds=5)
    assert hasattr(await bucket.get("t", onlyIf={"uploadedAfter": before}), "body")
    assert not hasattr(await bucket.get("t", onlyIf={"uploadedAfter": after}), "body")
    assert hasattr(await bucket.get("t", onlyIf={"uploadedBefore": after}), "body")
    assert not hasattr(await bucket.get("t", onlyIf={"uploadedBefore": before}), "body")


async def test_put_with_failed_precondition_returns_none_and_keeps_the_object(bucket):
    put = await bucket.put("p", "v1")
    assert await bucket.put("p", "v2", onlyIf={"etagMatches": "0" * 32}) is None
    assert await (await bucket.get("p")).text() == "v1"
    replaced = await bucket.put("p", "v2", onlyIf={"etagMatches": put.etag})
    assert replaced is not None and replaced.etag == md5(b"v2")


async def test_put_if_absent_with_wildcard(bucket):
    assert await bucket.put("once", "first", onlyIf={"etagDoesNotMatch": "*"}) is not None
    assert await bucket.put("once", "second", onlyIf={"etagDoesNotMatch": "*"}) is None
    assert await (await bucket.get("once")).text() == "first"
    assert await bucket.put("absent", "x", onlyIf={"etagMatches": "*"}) is None
    assert await bucket.head("absent") is None


async def test_conditional_headers(bucket):
    put = await bucket.put("h", "x")
    etag = put.etag
    assert hasattr(await bucket.get("h", onlyIf={"If-Match": f'"{etag}"'}), "body")
    assert hasattr(await bucket.get("h", onlyIf={"If-Match": f'"nope", "{etag}"'}), "body")
    assert not hasattr(await bucket.get("h", onlyIf={"If-Match": '"nope"'}), "body")
    assert hasattr(await bucket.get("h", onlyIf={"If-Match": "*"}), "body")
    # If-None-Match compares weakly, If-Match strongly
    assert not hasattr(await bucket.get("h", onlyIf={"If-None-Match": f'W/"{etag}"'}), "body")
    assert not hasattr(await bucket.get("h", onlyIf={"If-Match": f'W/"{etag}"'}), "body")
    http_date = (put.uploaded + dt.timedelta(seconds=10)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert not hasattr(await bucket.get("h", onlyIf={"If-Modified-Since": http_date}), "body")
    assert hasattr(await bucket.get("h", onlyIf={"If-Unmodified-Since": http_date}), "body")
    # If-Modified-Since is ignored when If-None-Match is given and holds (RFC 7232 §6)
    assert hasattr(await bucket.get("h", onlyIf={"If-None-Match": '"other"', "If-Modified-Since": http_date}), "body")
    assert await bucket.put("h", "y", onlyIf={"If-None-Match": "*"}) is None


async def test_conditional_etag_must_not_be_quoted(bucket):
    await bucket.put("q", "x")
    with pytest.raises(TypeError) as info:
        await bucket.get("q", onlyIf={"etagMatches": '"abc"'})
    assert str(info.value) == 'Conditional ETag should not be wrapped in quotes ("abc").'


@pytest.mark.parametrize(
    "header, message",
    [
        ('"abc', "Unclosed double quote for Etag"),
        ('W"abc"', "Weak etags must start with W/ and their value must be quoted"),
        (
            '"a" "b"',
            "Comma was expected to separate etags. Encountered a double quote character '\"' instead. "
            "This would otherwise indicate the start of a new strong etag.",
        ),
    ],
)
async def test_conditional_header_parse_errors(bucket, header, message):
    await bucket.put("q", "x")
    assert await error_of(bucket.get("q", onlyIf={"If-Match": header})) == message


# -- ranges ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "range_, expected, offset",
    [
        ({"offset": 2, "length": 3}, b"234", 2),
        ({"offset": 7}, b"789", 7),
        ({"length": 2}, b"01", 0),
        ({"suffix": 3}, b"789", 7),
        ({"suffix": 50}, b"0123456789", 0),
        ({"offset": 8, "length": 100}, b"89", 8),
        ({"Range": "bytes=1-3"}, b"123", 1),
        ({"Range": "bytes=-2"}, b"89", 8),
        ({"Range": "bytes=6-"}, b"6789", 6),
        ({"Range": "bytes=0-1,4-5"}, b"0123456789", 0),
        ({"Range": "bytes=20-30"}, b"0123456789", 0),
    ],
)
async def test_ranged_get(bucket, range_, expected, offset):
    await bucket.put("r", "0123456789")
    obj = await bucket.get("r", range=range_)
    assert obj.range == {"offset": offset, "length": len(expected)}
    assert obj.size == 10
    assert await obj.arrayBuffer() == expected


@pytest.mark.parametrize("range_", [{"suffix": 0}, {"offset": 11}, {"offset": 3, "length": 0}])
async def test_unsatisfiable_range_is_10039(bucket, range_):
    await bucket.put("r", "0123456789")
    assert await error_of(bucket.get("r", range=range_)) == "get: The requested range is not satisfiable (10039)"


@pytest.mark.parametrize(
    "range_, exc, message",
    [
        ({"offset": -1}, ValueError, "Invalid range. Starting offset (-1) must be greater than or equal to 0."),
        ({"offset": 1.5}, ValueError, "Invalid range. Starting offset (1.5) must be an integer, not floating point."),
        ({"length": -2}, ValueError, "Invalid range. Length (-2) must be greater than or equal to 0."),
        ({"length": 0.5}, ValueError, "Invalid range. Length (0.5) must be an integer, not floating point."),
        ({"suffix": -3}, ValueError, "Invalid suffix. Suffix (-3) must be greater than or equal to 0."),
        ({"suffix": 1, "offset": 0}, TypeError, "Suffix is incompatible with offset."),
        ({"suffix": 1, "length": 2}, TypeError, "Suffix is incompatible with length."),
    ],
)
async def test_range_argument_errors(bucket, range_, exc, message):
    await bucket.put("r", "0123456789")
    with pytest.raises(exc) as info:
        await bucket.get("r", range=range_)
    assert str(info.value) == message


# -- delete ------------------------------------------------------------------------------------------------------


async def test_delete_one_and_many(bucket):
    for k in ("a", "b", "c"):
        await bucket.put(k, k)
    assert await bucket.delete("a") is None
    assert await bucket.head("a") is None
    await bucket.delete(["b", "c", "never-existed"])
    assert await bucket.head("b") is None and await bucket.head("c") is None
    await bucket.delete("never-existed")


# -- list --------------------------------------------------------------------------------------------------------


async def test_list_prefix_delimiter_and_pages(bucket):
    keys = ["a/1", "a/2", "a/b/3", "b/1", "c", "d"]
    for k in keys:
        await bucket.put(k, k)
    listed = await bucket.list()
    assert [o.key for o in listed["objects"]] == keys
    assert listed["truncated"] is False and "cursor" not in listed
    assert listed["delimitedPrefixes"] == []
    assert [o.key for o in (await bucket.list(prefix="a/"))["objects"]] == ["a/1", "a/2", "a/b/3"]
    grouped = await bucket.list(delimiter="/")
    assert [o.key for o in grouped["objects"]] == ["c", "d"]
    assert grouped["delimitedPrefixes"] == ["a/", "b/"]
    nested = await bucket.list(prefix="a/", delimiter="/")
    assert [o.key for o in nested["objects"]] == ["a/1", "a/2"]
    assert nested["delimitedPrefixes"] == ["a/b/"]
    assert [o.key for o in (await bucket.list(startAfter="b/1"))["objects"]] == ["c", "d"]

    seen, cursor = [], None
    while True:
        page = await bucket.list(limit=2, cursor=cursor) if cursor else await bucket.list(limit=2)
        seen += [o.key for o in page["objects"]]
        assert len(page["objects"]) <= 2
        if not page["truncated"]:
            break
        cursor = page["cursor"]
    assert seen == keys


async def test_list_pages_never_repeat_a_delimited_prefix(bucket):
    for k in ("p/1", "p/2", "p/3", "q"):
        await bucket.put(k, k)
    first = await bucket.list(delimiter="/", limit=1)
    assert first["delimitedPrefixes"] == ["p/"] and first["truncated"] is True
    second = await bucket.list(delimiter="/", limit=1, cursor=first["cursor"])
    assert [o.key for o in second["objects"]] == ["q"]
    assert second["delimitedPrefixes"] == []


async def test_list_include_returns_metadata(bucket):
    await bucket.put("m", "x", httpMetadata={"contentType": "text/plain"}, customMetadata={"k": "v"})
    listed = await bucket.list(include=["httpMetadata", "customMetadata"])
    (obj,) = listed["objects"]
    assert obj.httpMetadata == {"contentType": "text/plain"}
    assert obj.customMetadata == {"k": "v"}
    assert obj.size == 1 and obj.etag == md5(b"x")


async def test_list_argument_errors(bucket):
    for limit in (0, 1001):
        assert await error_of(bucket.list(limit=limit)) == (
            "list: MaxKeys params must be positive integer <= 1000. (10022)"
        )
    with pytest.raises(ValueError) as info:
        await bucket.list(include=["everything"])
    assert str(info.value) == "Unsupported include value everything"


# -- multipart ---------------------------------------------------------------------------------------------------

PART = 5 * MiB


async def test_multipart_upload_round_trip(bucket):
    upload = await bucket.createMultipartUpload(
        "mp", httpMetadata={"contentType": "video/mp4"}, customMetadata={"origin": "test"}
    )
    assert upload.key == "mp" and upload.uploadId
    one, two, three = b"a" * PART, b"b" * PART, b"tail"
    parts = [await upload.uploadPart(1, one), await upload.uploadPart(2, two), await upload.uploadPart(3, three)]
    assert [p["partNumber"] for p in parts] == [1, 2, 3]
    obj = await upload.complete(parts)
    expected_etag = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in (one, two, three))).hexdigest() + "-3"
    assert obj.etag == expected_etag
    assert obj.httpEtag == f'"{expected_etag}"'
    assert obj.size == 2 * PART + 4
    assert obj.httpMetadata == {"contentType": "video/mp4"}
    assert obj.customMetadata == {"origin": "test"}
    got = await bucket.get("mp")
    assert got.etag == expected_etag
    data = await got.arrayBuffer()
    assert len(data) == 2 * PART + 4 and data == one + two + three
    across = await bucket.get("mp", range={"offset": PART - 2, "length": 5})
    assert await across.arrayBuffer() == b"aabbb"
    tail = await bucket.get("mp", range={"suffix": 6})
    assert await tail.arrayBuffer() == b"bbtail"
    listed = await bucket.list()
    assert [(o.key, o.size) for o in listed["objects"]] == [("mp", 2 * PART + 4)]


async def test_resume_and_reupload_a_part(bucket):
    upload = await bucket.createMultipartUpload("r")
    resumed = bucket.resumeMultipartUpload("r", upload.uploadId)
    await resumed.uploadPart(1, b"x" * PART)
    first = await resumed.uploadPart(1, b"y" * PART)
    last = await resumed.uploadPart(2, b"z")
    obj = await upload.complete([first, last])
    assert obj.size == PART + 1
    assert (await (await bucket.get("r", range={"length": 1})).arrayBuffer()) == b"y"


@pytest.mark.parametrize("number", [0, 10001, -1])
async def test_part_numbers_must_be_1_to_10000(bucket, number):
    upload = await bucket.createMultipartUpload("n")
    with pytest.raises(TypeError) as info:
        await upload.uploadPart(number, b"x")
    assert str(info.value) == f"Part number must be between 1 and 10000 (inclusive). Actual value was: {number}"
    with pytest.raises(TypeError) as info:
        await upload.complete([{"partNumber": number, "etag": "e"}])
    assert str(info.value) == f"Part number must be between 1 and 10000 (inclusive). Actual value was: {number}"


async def test_upload_to_an_unknown_upload_is_10024(bucket):
    ghost = bucket.resumeMultipartUpload("g", "not-an-upload-id")
    assert await error_of(ghost.uploadPart(1, b"x")) == (
        "uploadPart: The specified multipart upload does not exist. (10024)"
    )


async def test_completed_and_aborted_uploads_are_gone(bucket):
    upload = await bucket.createMultipartUpload("done")
    part = await upload.uploadPart(1, b"only part")
    await upload.complete([part])
    assert await error_of(upload.complete([part])) == (
        "completeMultipartUpload: The specified multipart upload does not exist. (10024)"
    )
    assert await error_of(upload.uploadPart(2, b"x")) == (
        "uploadPart: The specified multipart upload does not exist. (10024)"
    )
    aborted = await bucket.createMultipartUpload("gone")
    await aborted.uploadPart(1, b"x")
    await aborted.abort()
    assert await error_of(aborted.uploadPart(1, b"x")) == (
        "uploadPart: The specified multipart upload does not exist. (10024)"
    )
    assert await bucket.head("gone") is None


async def test_complete_with_an_unknown_part_is_10025(bucket):
    upload = await bucket.createMultipartUpload("p")
    part = await upload.uploadPart(1, b"x")
    message = "completeMultipartUpload: One or more of the specified parts could not be found. (10025)"
    assert await error_of(upload.complete([{"partNumber": 1, "etag": "wrong"}])) == message
    assert await error_of(upload.complete([part, {"partNumber": 2, "etag": part["etag"]}])) == message


async def test_part_size_rules(bucket):
    small = "completeMultipartUpload: Your proposed upload is smaller than the minimum allowed object size. (10011)"
    bad = "completeMultipartUpload: There was a problem with the multipart upload. (10048)"
    upload = await bucket.createMultipartUpload("s")
    tiny = await upload.uploadPart(1, b"x" * (PART - 1))
    last = await upload.uploadPart(2, b"y")
    assert await error_of(upload.complete([tiny, last])) == small

    upload = await bucket.createMultipartUpload("s2")
    p1 = await upload.uploadPart(1, b"x" * (PART + 1))
    p2 = await upload.uploadPart(2, b"x" * PART)
    p3 = await upload.uploadPart(3, b"x")
    assert await error_of(upload.complete([p1, p2, p3])) == bad  # parts before the last differ in size

    upload = await bucket.createMultipartUpload("s3")
    p1 = await upload.uploadPart(1, b"x" * PART)
    p2 = await upload.uploadPart(2, b"x" * (PART + 1))
    assert await error_of(upload.complete([p1, p2])) == bad  # the last part is larger than the others
    assert await bucket.head("s3") is None


async def test_multipart_and_single_part_objects_replace_each_other(bucket):
    await bucket.put("x", "single")
    upload = await bucket.createMultipartUpload("x")
    await upload.complete([await upload.uploadPart(1, b"multi")])
    assert await (await bucket.get("x")).text() == "multi"
    await bucket.put("x", "single again")
    assert await (await bucket.get("x")).text() == "single again"
    upload = await bucket.createMultipartUpload("x")
    await upload.complete([await upload.uploadPart(1, b"multi again")])
    await bucket.delete("x")
    assert await bucket.get("x") is None


# -- as the Python Workers SDK presents R2 results: by key as well as by attribute ---------------------------------


async def test_results_are_subscriptable_like_the_sdk_wrappers(bucket):
    put = await bucket.put("sub/a.txt", b"hello", customMetadata={"k": "v"})
    assert put["key"] == put.key == "sub/a.txt"
    assert put["size"] == 5
    assert put["customMetadata"] == {"k": "v"}
    head = await bucket.head("sub/a.txt")
    assert head["etag"] == head.etag and head["httpEtag"] == f'"{head.etag}"'
    got = await bucket.get("sub/a.txt")
    assert got["key"] == "sub/a.txt" and await got.text() == "hello"
    with pytest.raises(AttributeError):
        head["noSuchField"]
    upload = await bucket.createMultipartUpload("sub/multi")
    assert upload["key"] == "sub/multi"
    assert upload["uploadId"] == upload.uploadId
    await upload.abort()
