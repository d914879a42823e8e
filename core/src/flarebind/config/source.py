"""Reading a config file: TOML (tomllib/tomli) or JSON/JSONC (json5), plus an index of key path -> line:col.

The parsers give the data; the index is built by a light scan of the text so diagnostics can point at the line of
``[[kv_namespaces]]`` or ``"binding": …``. Parse errors become diagnostics with file:line:col.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import attrs

from flarebind.config.diagnostics import ConfigError, Diagnostic

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@attrs.define
class Source:
    path: Path
    format: str  # "toml" | "json"
    data: dict[str, Any]
    positions: dict[str, tuple[int, int]]
    text: str


def load_source(path: Path) -> Source:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([Diagnostic("error", f"Could not read {path}: {exc.strerror or exc}", path)], path) from None
    text = decode_config_text(raw, path)
    if path.suffix == ".toml":
        return Source(path, "toml", _parse_toml(text, path), toml_positions(text), text)
    return Source(path, "json", _parse_jsonc(text, path), json_positions(text), text)


# wrangler's unsupported byte order marks (`removeBOMAndValidate`), longest first
_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 BE"),
    (b"\xff\xfe\x00\x00", "UTF-32 LE"),
    (b"\xfe\xff", "UTF-16 BE"),
    (b"\xff\xfe", "UTF-16 LE"),
)


def decode_config_text(raw: bytes, path: Path) -> str:
    """The file's text: UTF-8, a UTF-8 BOM dropped. Other encodings are refused with wrangler's texts (BOMs) or
    with the position of the first invalid byte (wrangler would silently replace it with U+FFFD)."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            raise ConfigError(
                [
                    Diagnostic(
                        "error",
                        f"Configuration file contains {encoding} byte order marker\n"
                        f'The file "{path}" appears to be encoded as {encoding}. Please save the file as UTF-8 '
                        "without BOM.",
                        path,
                        1,
                        1,
                    )
                ],
                path,
            )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise ConfigError(
            [
                Diagnostic(
                    "error",
                    f"The file is not valid UTF-8 (byte 0x{raw[exc.start]:02x} cannot start or continue a "
                    "character). Please save it as UTF-8.",
                    path,
                    line,
                    col,
                )
            ],
            path,
        ) from None
    return text.removeprefix("\ufeff")


def _too_deep(kind: str, path: Path) -> ConfigError:
    return ConfigError(
        [
            Diagnostic(
                "error",
                f"Invalid {kind} document: values are nested too deeply to read (more than a few hundred levels).",
                path,
            )
        ],
        path,
    )


_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise _too_deep("TOML", path) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = col = None
        m = _TOML_AT.search(message)
        if m:
            line, col = int(m.group(1)), int(m.group(2))
            message = message[: m.start()].rstrip()
        elif "end of document" in message:
            line, col = text.count("\n") + 1, 1
            message = re.sub(r"\s*\(at end of document\)", "", message)
        raise ConfigError([Diagnostic("error", f"Invalid TOML document: {message}", path, line, col)], path) from None


_JSON_AT = re.compile(r"^<string>:(\d+) (.*) at column (\d+)$")


def _parse_jsonc(text: str, path: Path) -> dict[str, Any]:
    import json5  # only JSON configs pay for the import

    try:
        data = json5.loads(text)
    except RecursionError:  # json5 parses nested values recursively
        raise _too_deep("JSON", path) from None
    except ValueError as exc:
        message = str(exc)
        line = col = None
        m = _JSON_AT.match(message)
        if m:
            line, message, col = int(m.group(1)), m.group(2), int(m.group(3))
        raise ConfigError([Diagnostic("error", f"Invalid JSON document: {message}", path, line, col)], path) from None
    if not isinstance(data, dict):
        raise ConfigError([Diagnostic("error", "The configuration must be a JSON object.", path, 1, 1)], path)
    return data


# --- key path index -------------------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEYVAL = re.compile(
    r"^\s*((?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _toml_key_parts(key: str) -> list[str]:
    parts = re.findall(r"\"[^\"]*\"|'[^']*'|[A-Za-z0-9_\-]+", key)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def _join(parts: list[str]) -> str:
    out = ""
    for p in parts:
        if p.startswith("["):
            out += p
        else:
            out = f"{out}.{p}" if out else p
    return out


def toml_positions(text: str) -> dict[str, tuple[int, int]]:
    """Map key paths (``env.staging.kv_namespaces[1].binding``) to (line, column) by scanning headers and keys."""
    positions: dict[str, tuple[int, int]] = {}
    array_counts: dict[str, int] = {}
    current: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _HEADER.match(line)
        if m and not _KEYVAL.match(line):
            parts = _toml_key_parts(m.group(2))
            col = line.index("[") + 1
            resolved: list[str] = []
            # array-of-tables parents resolve to their latest element, as TOML does
            for i, part in enumerate(parts):
                resolved.append(part)
                prefix = _join(resolved)
                if prefix in array_counts and i < len(parts) - 1:
                    resolved.append(f"[{array_counts[prefix] - 1}]")
            if m.group(1) == "[[":
                base = _join(resolved)
                index = array_counts.get(base, 0)
                array_counts[base] = index + 1
                positions.setdefault(base, (lineno, col))
                resolved.append(f"[{index}]")
            current = resolved
            positions.setdefault(_join(current), (lineno, col))
            continue
        m = _KEYVAL.match(line)
        if m:
            col = len(line) - len(line.lstrip()) + 1
            keys = _toml_key_parts(m.group(1))
            path = current + keys
            for i in range(len(current) + 1, len(path) + 1):
                positions.setdefault(_join(path[:i]), (lineno, col))
            # inline array of tables on one line: kv_namespaces = [{ … }, { … }]
            rest = line[m.end() :]
            if rest.lstrip().startswith("[") and "{" in rest:
                for idx in range(rest.count("{")):
                    positions.setdefault(_join([*path, f"[{idx}]"]), (lineno, col))
    return positions


def json_positions(text: str) -> dict[str, tuple[int, int]]:
    """Map key paths to (line, column) for JSON/JSONC by a tokenizer that skips strings and comments."""
    positions: dict[str, tuple[int, int]] = {}
    stack: list[list[Any]] = []  # frames: ["obj", path, pending_key] or ["arr", path, index]
    i, n, line, line_start = 0, len(text), 1, 0
    last_string: tuple[str, int, int] | None = None

    def value_path() -> str | None:
        if not stack:
            return None
        kind, path, extra = stack[-1]
        if kind == "obj":
            return f"{path}.{extra}" if path and extra is not None else extra
        return f"{path}[{extra}]"

    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            line_start = i + 1
            i += 1
        elif ch in " \t\r,":
            if ch == "," and stack and stack[-1][0] == "arr":
                stack[-1][2] += 1
            if ch == "," and stack and stack[-1][0] == "obj":
                stack[-1][2] = None
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += text.count("\n", i, j)
            nl = text.rfind("\n", i, j)
            if nl >= 0:
                line_start = nl + 1
            i = j
        elif ch in "\"'":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            last_string = (text[i + 1 : j], line, i - line_start + 1)
            i = j + 1
        elif ch == ":":
            if last_string and stack and stack[-1][0] == "obj":
                key, kl, kc = last_string
                stack[-1][2] = key
                p = value_path()
                if p is not None:
                    positions.setdefault(p, (kl, kc))
            last_string = None
            i += 1
        elif ch in "{[":
            p = value_path() or ""
            if stack and stack[-1][0] == "arr" and p:
                positions.setdefault(p, (line, i - line_start + 1))
            stack.append(["obj", p, None] if ch == "{" else ["arr", p, 0])
            i += 1
        elif ch in "}]":
            if stack:
                stack.pop()
            i += 1
        else:
            # unquoted keys (JSON5) and literals
            m = re.match(r"[A-Za-z0-9_$+\-.]+", text[i:])
            if m:
                last_string = (m.group(0), line, i - line_start + 1)
                i += len(m.group(0))
            else:
                i += 1
    return positions
