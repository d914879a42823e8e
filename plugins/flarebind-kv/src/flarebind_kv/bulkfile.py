"""The JSON files ``kv bulk put|get|delete`` read, validated the way wrangler validates them (same messages)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

KEY_VALUE_FIELDS = ("key", "value", "expiration", "expiration_ttl", "metadata", "base64")
MAX_REPORTED = 12  # wrangler stops listing problems after this many (then "...")

KEY_VALUE_SHAPE = """interface KeyValue {
  key: string;
  value: string;
  expiration?: number;
  expiration_ttl?: number;
  metadata?: object;
  base64?: boolean;
}"""


class BulkFileError(Exception):
    """The file is not what the command accepts; the message is wrangler's (``warnings`` print before it)."""

    def __init__(self, message: str, warnings: list[str] | None = None) -> None:
        super().__init__(message)
        self.warnings = warnings or []


def _js_type(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return "object"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "undefined"


def _js(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def read_json(filename: str) -> Any:
    try:
        text = Path(filename).read_text(encoding="utf-8")
    except OSError as exc:
        raise BulkFileError(f'Could not read file "{filename}": {exc.strerror or exc}') from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BulkFileError(f'Failed to parse JSON in "{filename}": {exc.msg} (line {exc.lineno})') from None


def _is_key_value(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    if not isinstance(item.get("key"), str) or not isinstance(item.get("value"), str):
        return False
    for name, kind in (
        ("expiration", "number"),
        ("expiration_ttl", "number"),
        ("base64", "boolean"),
        ("metadata", "object"),
    ):
        if name in item and _js_type(item[name]) != kind:
            return False
    return True


def key_values(filename: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The items of a bulk-put file and wrangler's warnings about unexpected properties."""
    content = read_json(filename)
    if not isinstance(content, list):
        raise BulkFileError(
            f'Unexpected JSON input from "{filename}".\n'
            f'Expected an array of key-value objects but got type "{_js_type(content)}".'
        )
    errors: list[str] = []
    warnings: list[str] = []
    for index, item in enumerate(content):
        if not _is_key_value(item):
            if len(errors) < MAX_REPORTED:
                errors.append(f"The item at index {index} is {_js(item)}")
            elif len(errors) == MAX_REPORTED:
                errors.append("...")
        else:
            extra = [name for name in item if name not in KEY_VALUE_FIELDS]
            if extra:
                if len(warnings) < MAX_REPORTED:
                    warnings.append(f"The item at index {index} contains unexpected properties: {_js(extra)}.")
                elif len(warnings) == MAX_REPORTED:
                    warnings.append("...")
    notes = [f'Unexpected key-value properties in "{filename}".\n' + "\n".join(warnings)] if warnings else []
    if errors:
        raise BulkFileError(
            f'Unexpected JSON input from "{filename}".\n'
            "Each item in the array should be an object that matches:\n\n"
            f"{KEY_VALUE_SHAPE}\n\n" + "\n".join(errors),
            notes,
        )
    return content, notes


def key_names(filename: str) -> list[str]:
    """The keys of a bulk-get / bulk-delete file: strings, or objects with a ``name``."""
    content = read_json(filename)
    if not isinstance(content, list):
        raise BulkFileError(
            f'Unexpected JSON input from "{filename}".\nExpected an array of strings but got:\n{content}'
        )
    errors: list[str] = []
    names: list[str] = []
    for index, item in enumerate(content):
        name = item if isinstance(item, str) else (item.get("name") if isinstance(item, dict) else None)
        if not isinstance(name, str):
            errors.append(f'The item at index {index} is type: "{_js_type(item)}" - {_js(item)}')
            continue
        names.append(name)
    if errors:
        raise BulkFileError(
            f'Unexpected JSON input from "{filename}".\n'
            'Expected an array of strings or objects with a "name" key.\n' + "\n".join(errors)
        )
    return names
