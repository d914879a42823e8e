"""Diagnostics: every problem in a config, collected and shown at once with file:line:col and the key path."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from flarebind.errors import FlarebindError


def compact_json(value: Any) -> str:
    """A value as wrangler quotes it in messages: compact JSON (``{"id":"x"}``)."""
    return json.dumps(value, separators=(",", ":"), default=str)


@attrs.define
class Diagnostic:
    """One problem. ``message`` is the exact text (wrangler's where wrangler has one); the rest locates it."""

    level: str  # "error" | "warning"
    message: str
    file: Path | None = None
    line: int | None = None
    col: int | None = None
    path: str | None = None  # key path, e.g. "env.staging.kv_namespaces[0]"
    env: str | None = None  # the environment section it belongs to, if any

    @property
    def is_error(self) -> bool:
        return self.level == "error"

    def location(self, relative_to: Path | None = None) -> str | None:
        if self.file is None:
            return None
        file = self.file
        if relative_to is not None:
            try:
                file = self.file.resolve().relative_to(relative_to.resolve())
            except ValueError:
                pass
        if self.line is None:
            return str(file)
        return f"{file}:{self.line}:{self.col or 1}"

    def to_json(self) -> dict[str, object]:
        return {
            "level": self.level,
            "message": self.message,
            "file": str(self.file) if self.file else None,
            "line": self.line,
            "column": self.col,
            "path": self.path,
            "env": self.env,
        }


@attrs.define
class Report:
    """Collects diagnostics; ``at`` is a key path that the source's position index turns into line:col."""

    file: Path | None = None
    positions: dict[str, tuple[int, int]] = attrs.field(factory=dict)
    env: str | None = None
    diagnostics: list[Diagnostic] = attrs.field(factory=list)

    def _add(self, level: str, message: str, at: str | None, env: str | None) -> Diagnostic:
        line, col = self.position(at)
        diag = Diagnostic(level, message, self.file, line, col, at, env if env is not None else self.env)
        self.diagnostics.append(diag)
        return diag

    def position(self, path: str | None) -> tuple[int | None, int | None]:
        # walk up the key path until a known position: "a.b[0].c" -> "a.b[0]" -> "a.b" -> "a"
        while path:
            if path in self.positions:
                return self.positions[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None, None

    def error(self, message: str, at: str | None = None, env: str | None = None) -> Diagnostic:
        return self._add("error", message, at, env)

    def warning(self, message: str, at: str | None = None, env: str | None = None) -> Diagnostic:
        return self._add("warning", message, at, env)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]


class ConfigError(FlarebindError):
    """The configuration has errors; ``diagnostics`` holds all of them (and the warnings)."""

    def __init__(self, diagnostics: Iterable[Diagnostic], file: Path | None = None) -> None:
        self.diagnostics = list(diagnostics)
        self.file = file
        super().__init__(render_plain(self.diagnostics, file))


def _group(diags: list[Diagnostic]) -> list[tuple[str | None, list[Diagnostic]]]:
    groups: dict[str | None, list[Diagnostic]] = {}
    for d in diags:
        groups.setdefault(d.env, []).append(d)
    return list(groups.items())


def render_block(diags: list[Diagnostic], file: Path | None, cwd: Path | None = None) -> str:
    """The body wrangler prints under ``Processing <file> configuration:``, with our locations added."""
    cwd = cwd or Path.cwd()
    lines: list[str] = []
    if file is not None:
        try:
            shown = file.resolve().relative_to(cwd.resolve())
        except ValueError:
            shown = file
        lines.append(f"Processing {shown} configuration:")
        lines.append("")
    for env, items in _group(diags):
        indent = "    "
        if env is not None:
            lines.append(f'    - "env.{env}" environment configuration')
            indent = "      "
        for d in items:
            first, *rest = d.message.split("\n")
            lines.append(f"{indent}- {first}")
            lines.extend(f"{indent}  {r}" for r in rest)
            where = d.location(cwd)
            if where and d.line is not None:
                lines.append(f"{indent}  at {where}" + (f" ({d.path})" if d.path else ""))
    return "\n".join(lines)


def render_plain(diags: list[Diagnostic], file: Path | None) -> str:
    errors = [d for d in diags if d.is_error]
    return render_block(errors or diags, file)
