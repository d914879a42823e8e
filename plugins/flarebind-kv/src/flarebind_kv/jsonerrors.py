"""``JSON.parse`` error messages as V8 (workerd) words them, for ``get(key, "json")`` on a value that is not JSON.

Python's parser only says *that* a value is invalid; V8's message names what it expected and where, and shows
source context for an unexpected token. This scanner runs only after Python's parser has failed, and retraces
V8's JSON parser far enough to find the first error and word it the same way (checked against workerd: see
``tests/reliability/test_kv_fidelity.py``). Positions count UTF-16 code units, as JavaScript does.
"""

from __future__ import annotations

_WS = " \t\n\r"
_MAX_CONTEXT = 10  # V8's kMaxContextCharacters
_MIN_LENGTH_FOR_CONTEXT = 2 * _MAX_CONTEXT + 1
_SPECIAL = ("NaN", "Infinity", "undefined", "[object Object]")
_ESCAPES = '"\\/bfnrtu'
_HEX = "0123456789abcdefABCDEF"
_DIGITS = "0123456789"


class _Fail(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def v8_json_error(text: str) -> str | None:
    """The message of the ``SyntaxError`` V8's ``JSON.parse(text)`` throws; ``None`` when V8 would accept it."""
    try:
        _Scanner(text).document()
    except _Fail as fail:
        return fail.message
    return None


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.i = 0

    # -- messages ------------------------------------------------------------------------------------------------

    def _position(self, i: int) -> str:
        before = self.text[:i]
        units = i + sum(1 for c in before if ord(c) > 0xFFFF)
        line = 1
        column_start = 0
        k = 0
        while k < len(before):
            c = before[k]
            if c == "\n" or c == "\r":
                if c == "\r" and k + 1 < len(before) and before[k + 1] == "\n":
                    k += 1
                line += 1
                column_start = k + 1
            k += 1
        return f"at position {units} (line {line} column {i - column_start + 1})"

    def fail(self, what: str, i: int | None = None) -> _Fail:
        # every positioned message but one reads "<what> in JSON at position …"
        where = "" if what.endswith("after JSON") else " in JSON"
        return _Fail(f"{what}{where} {self._position(self.i if i is None else i)}")

    def unexpected(self, i: int | None = None) -> _Fail:
        i = self.i if i is None else i
        if i >= self.n:
            return _Fail("Unexpected end of JSON input")
        text = self.text
        if text in _SPECIAL:
            return _Fail(f'"{text}" is not valid JSON')
        char = text[i]
        if self.n < _MIN_LENGTH_FOR_CONTEXT:
            return _Fail(f"Unexpected token '{char}', \"{text}\" is not valid JSON")
        if i < _MAX_CONTEXT:
            shown = f'"{text[: i + _MAX_CONTEXT]}"...'
        elif i < self.n - _MAX_CONTEXT:
            shown = f'..."{text[i - _MAX_CONTEXT : i + _MAX_CONTEXT]}"...'
        else:
            shown = f'..."{text[i - _MAX_CONTEXT :]}"'
        return _Fail(f"Unexpected token '{char}', {shown} is not valid JSON")

    # -- grammar (iterative containers, so deep nesting cannot exhaust Python's stack) ---------------------------

    def skip_ws(self) -> None:
        while self.i < self.n and self.text[self.i] in _WS:
            self.i += 1

    def peek(self) -> str:
        return self.text[self.i] if self.i < self.n else ""

    def document(self) -> None:
        self.skip_ws()
        self.value()
        self.skip_ws()
        if self.i < self.n:
            raise self.fail("Unexpected non-whitespace character after JSON")

    def value(self) -> None:
        stack: list[str] = []  # "[" or "{" per open container
        while True:
            self.skip_ws()
            c = self.peek()
            if c == "[":
                self.i += 1
                self.skip_ws()
                if self.peek() == "]":
                    self.i += 1
                else:
                    stack.append("[")
                    continue
            elif c == "{":
                self.i += 1
                self.skip_ws()
                if self.peek() == "}":
                    self.i += 1
                elif self.peek() == '"':
                    self.member_name()
                    stack.append("{")
                    continue
                else:
                    raise self.fail("Expected property name or '}'")
            elif c == '"':
                self.string()
            elif c and (c == "-" or c in _DIGITS):
                self.number()
            elif c and c in "tfn":
                self.literal({"t": "true", "f": "false", "n": "null"}[c])
            else:
                raise self.unexpected()
            # a value is complete: close containers as far as possible
            while stack:
                self.skip_ws()
                c = self.peek()
                if stack[-1] == "[":
                    if c == ",":
                        self.i += 1
                        break
                    if c == "]":
                        self.i += 1
                        stack.pop()
                        continue
                    raise self.fail("Expected ',' or ']' after array element")
                if c == ",":
                    self.i += 1
                    self.skip_ws()
                    if self.peek() != '"':
                        raise self.fail("Expected double-quoted property name")
                    self.member_name()
                    break
                if c == "}":
                    self.i += 1
                    stack.pop()
                    continue
                raise self.fail("Expected ',' or '}' after property value")
            else:
                return

    def member_name(self) -> None:
        self.string()
        self.skip_ws()
        if self.peek() != ":":
            raise self.fail("Expected ':' after property name")
        self.i += 1

    def string(self) -> None:
        self.i += 1  # the opening quote
        text, n = self.text, self.n
        while True:
            if self.i >= n:
                raise self.fail("Unterminated string")
            c = text[self.i]
            if c == '"':
                self.i += 1
                return
            if c == "\\":
                self.i += 1
                if self.i >= n:
                    raise self.fail("Unterminated string")
                esc = text[self.i]
                if esc not in _ESCAPES:
                    raise self.fail("Bad escaped character")
                if esc == "u":
                    for _ in range(4):
                        self.i += 1
                        if self.i >= n or text[self.i] not in _HEX:
                            raise self.fail("Bad Unicode escape")
                self.i += 1
                continue
            if ord(c) < 0x20:
                raise self.fail("Bad control character in string literal")
            self.i += 1

    def number(self) -> None:
        text, n = self.text, self.n
        if text[self.i] == "-":
            self.i += 1
            if self.i >= n or text[self.i] not in _DIGITS:
                raise self.fail("No number after minus sign")
        if text[self.i] == "0":
            self.i += 1
            if self.i < n and text[self.i] in _DIGITS:
                raise self.fail("Unexpected number")
        else:
            while self.i < n and text[self.i] in _DIGITS:
                self.i += 1
        if self.i < n and text[self.i] == ".":
            self.i += 1
            if self.i >= n or text[self.i] not in _DIGITS:
                raise self.fail("Unterminated fractional number")
            while self.i < n and text[self.i] in _DIGITS:
                self.i += 1
        if self.i < n and text[self.i] in "eE":
            self.i += 1
            if self.i < n and text[self.i] in "+-":
                self.i += 1
            if self.i >= n or text[self.i] not in _DIGITS:
                raise self.fail("Exponent part is missing a number")
            while self.i < n and text[self.i] in _DIGITS:
                self.i += 1

    def literal(self, word: str) -> None:
        for expected in word:
            if self.i >= self.n:
                raise _Fail("Unexpected end of JSON input")
            if self.text[self.i] != expected:
                raise self.unexpected()
            self.i += 1
