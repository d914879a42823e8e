"""The tagged-JSON codec on its own (no proxy): what each Python value becomes on the wire and back."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

import pytest
from flarebind.errors import JsException
from flarebind.jsobject import JsObject
from flarebind.remote.codec import (
    UNDEFINED,
    Pipeline,
    Ref,
    StreamArg,
    WireHeaders,
    WireRequest,
    WireResponse,
    decode,
    encode,
    encode_op,
)
from flarebind.remote.protocol import error_from_wire


def test_encodes_every_tag():
    streams: list[StreamArg] = []
    body = StreamArg(b"abc", 3)
    wire = encode(
        {
            "b": b"\x00\xff",
            "d": datetime(2024, 1, 2, tzinfo=timezone.utc),
            "u": UNDEFINED,
            "n": None,
            "big": 2**60,
            "nan": math.nan,
            "inf": -math.inf,
            "s": body,
            "p": Pipeline([{"call": "prepare", "args": ["x"]}]),
            "r": Ref("saved"),
            "h": WireHeaders([("If-Match", '"e"')]),
            "set": {1},
            "t": (1, 2),
        },
        streams,
    )
    assert json.loads(json.dumps(wire)) == {
        "b": {"$bytes": "AP8="},
        "d": {"$date": 1704153600000.0},
        "n": None,
        "big": {"$bigint": str(2**60)},
        "nan": {"$number": "NaN"},
        "inf": {"$number": "-Infinity"},
        "s": {"$stream": 0},
        "p": {"$pipeline": [{"call": "prepare", "args": ["x"]}]},
        "r": {"$ref": "saved"},
        "h": {"$headers": [["If-Match", '"e"']]},
        "set": [1],
        "t": [1, 2],
    }
    assert streams == [body]


def test_dollar_keys_are_escaped_and_a_second_stream_is_refused():
    assert encode({"$x": 1}) == {"$object": {"$x": 1}}
    assert decode({"$object": {"$x": {"$bytes": "AA=="}}}) == {"$x": b"\x00"}
    streams: list[StreamArg] = []
    with pytest.raises(TypeError, match="at most one streamed body"):
        encode([StreamArg(b"a"), StreamArg(b"b")], streams)
    with pytest.raises(TypeError, match="cannot send a value of type object"):
        encode(object())


def test_trailing_undefined_arguments_are_dropped():
    assert encode_op({"call": "get", "args": ["k", UNDEFINED, UNDEFINED]}) == {"call": "get", "args": ["k"]}
    assert encode_op({"call": "get", "args": ["k", UNDEFINED, 1]}) == {
        "call": "get",
        "args": ["k", {"$undefined": True}, 1],
    }


def test_decodes_results_as_js_objects():
    out = decode(
        {
            "a": {"$map": [["k", {"$undefined": True}]]},
            "gone": {"$undefined": True},
            "when": {"$date": 0},
            "n": 2**53,
            "big": {"$bigint": "12345678901234567890"},
            "list": [{"$undefined": True}, {"$number": "Infinity"}],
        }
    )
    assert isinstance(out, JsObject) and out.a == {"k": None}
    assert "gone" not in out
    assert out.when == datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert out.n == float(2**53) and isinstance(out.n, float)
    assert out.big == 12345678901234567890
    assert out.list == [None, math.inf]
    assert decode({"$undefined": True}) is UNDEFINED


def test_request_and_response_tags():
    req = encode(WireRequest("http://x/", "POST", [("a", "b")], "hi"), [])
    assert req == {
        "$request": {"url": "http://x/", "method": "POST", "headers": [["a", "b"]], "body": {"$bytes": "aGk="}}
    }
    resp = decode({"$response": {"status": 201, "statusText": "Created", "headers": [["x", "y"]], "body": None}})
    assert resp == WireResponse(201, "Created", [("x", "y")], None)


def test_errors_map_to_python_types_with_exact_messages():
    assert type(error_from_wire({"name": "TypeError", "message": "m"})) is TypeError
    assert type(error_from_wire({"name": "RangeError", "message": "r"})) is ValueError
    exc = error_from_wire(
        {
            "name": "Error",
            "message": "D1_ERROR: x: SQLITE_ERROR",
            "cause": {"name": "Error", "message": "x: SQLITE_ERROR"},
        }
    )
    assert isinstance(exc, JsException) and str(exc) == "D1_ERROR: x: SQLITE_ERROR"
    assert exc.cause.message == "x: SQLITE_ERROR"
    assert error_from_wire({"name": "SyntaxError", "message": "bad"}).name == "SyntaxError"
