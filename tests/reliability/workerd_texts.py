"""Texts recorded from workerd (Miniflare 4.20260426.0, compatibility date 2026-04-01) for the probes of issue 20.

Each was produced by running the same call in a Worker under Miniflare; ``test_workerd_texts_are_current`` re-runs
the JSON corpus against workerd when Node and the pinned miniflare are installed.
"""

from __future__ import annotations

# JSON.parse(text) -> SyntaxError message (V8 in workerd)
JSON_ERRORS = {
    "not json": "Unexpected token 'o', \"not json\" is not valid JSON",
    "": "Unexpected end of JSON input",
    "   ": "Unexpected end of JSON input",
    "{a:1}": "Expected property name or '}' in JSON at position 1 (line 1 column 2)",
    "[1,]": "Unexpected token ']', \"[1,]\" is not valid JSON",
    "12x": "Unexpected non-whitespace character after JSON at position 2 (line 1 column 3)",
    "{": "Expected property name or '}' in JSON at position 1 (line 1 column 2)",
    "[": "Unexpected end of JSON input",
    "[1": "Expected ',' or ']' after array element in JSON at position 2 (line 1 column 3)",
    "[1 2]": "Expected ',' or ']' after array element in JSON at position 3 (line 1 column 4)",
    '{"a"': "Expected ':' after property name in JSON at position 4 (line 1 column 5)",
    '{"a":': "Unexpected end of JSON input",
    '{"a":1': "Expected ',' or '}' after property value in JSON at position 6 (line 1 column 7)",
    '{"a":1,}': "Expected double-quoted property name in JSON at position 7 (line 1 column 8)",
    '{"a" 1}': "Expected ':' after property name in JSON at position 5 (line 1 column 6)",
    '{"a":1 "b":2}': "Expected ',' or '}' after property value in JSON at position 7 (line 1 column 8)",
    '"abc': "Unterminated string in JSON at position 4 (line 1 column 5)",
    '"a\\x"': "Bad escaped character in JSON at position 3 (line 1 column 4)",
    '"a\\u12g4"': "Bad Unicode escape in JSON at position 6 (line 1 column 7)",
    '"a\tb"': "Bad control character in string literal in JSON at position 2 (line 1 column 3)",
    "-": "No number after minus sign in JSON at position 1 (line 1 column 2)",
    "1.": "Unterminated fractional number in JSON at position 2 (line 1 column 3)",
    "1e+": "Exponent part is missing a number in JSON at position 3 (line 1 column 4)",
    "01": "Unexpected number in JSON at position 1 (line 1 column 2)",
    "-01": "Unexpected number in JSON at position 2 (line 1 column 3)",
    "tru": "Unexpected end of JSON input",
    "truex": "Unexpected non-whitespace character after JSON at position 4 (line 1 column 5)",
    "undefined": '"undefined" is not valid JSON',
    "NaN": '"NaN" is not valid JSON',
    "Infinity": '"Infinity" is not valid JSON',
    "[object Object]": '"[object Object]" is not valid JSON',
    "'a'": "Unexpected token ''', \"'a'\" is not valid JSON",
    "this is a much longer text that is not json": "Unexpected token 'h', \"this is a m\"... is not valid JSON",
    '{"key": "value", "other": tru, "more": 1234567890}': (
        'Unexpected token \',\', ..."ther": tru, "more": "... is not valid JSON'
    ),
    "[1,2,3,4,5,6,7,8,9,10,11,12, x]": "Unexpected token 'x', ...\"10,11,12, x]\" is not valid JSON",
    '"\\ud800"x': "Unexpected non-whitespace character after JSON at position 8 (line 1 column 9)",
    "\u00e9x": "Unexpected token '\u00e9', \"\u00e9x\" is not valid JSON",
    '["a" "b"]': "Expected ',' or ']' after array element in JSON at position 5 (line 1 column 6)",
    "{1:2}": "Expected property name or '}' in JSON at position 1 (line 1 column 2)",
    "[,1]": "Unexpected token ',', \"[,1]\" is not valid JSON",
    "+1": "Unexpected token '+', \"+1\" is not valid JSON",
    '{"a":1,"b"}': "Expected ':' after property name in JSON at position 10 (line 1 column 11)",
    '{"a":[1,{"b":]}]}': 'Unexpected token \']\', "{"a":[1,{"b":]}]}" is not valid JSON',
    '{"a":1,,"b":2}': "Expected double-quoted property name in JSON at position 7 (line 1 column 8)",
    "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]x": (
        "Unexpected non-whitespace character after JSON at position 43 (line 1 column 44)"
    ),
}

R2_NOT_A_BODY = (
    "Failed to execute 'put' on 'R2Bucket': parameter 2 is not of type 'ReadableStream or ArrayBuffer or "
    "ArrayBufferView or string or Blob'."
)
R2_METADATA_NOT_OBJECT = (
    "Incorrect type for the 'customMetadata' field on 'PutOptions': the provided value is not of type 'object'."
)
INT32_RANGE = "Value out of range. Must be between -2147483648 and 2147483647 (inclusive)."
BIGINT = "Do not know how to serialize a BigInt"
