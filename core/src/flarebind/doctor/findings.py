"""What one doctor check reports: a finding with its fix, and the report that collects them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs


@attrs.frozen
class Finding:
    """One thing that will (``error``) or may (``warning``) break the Worker on Cloudflare, and how to fix it."""

    level: str  # "error" | "warning"
    check: str  # "dependencies" | "size" | "cpython" | "compat"
    message: str
    fix: str
    file: Path | None = None
    line: int | None = None

    @property
    def is_error(self) -> bool:
        return self.level == "error"

    def relative_file(self, root: Path) -> str | None:
        if self.file is None:
            return None
        try:
            return str(self.file.relative_to(root)) or "."
        except ValueError:
            return str(self.file)

    def where(self, root: Path) -> str:
        shown = self.relative_file(root)
        if shown is None:
            return ""
        return f"{shown}:{self.line}" if self.line else shown

    def to_json(self, root: Path) -> dict[str, Any]:
        return {
            "level": self.level,
            "check": self.check,
            "message": self.message,
            "fix": self.fix,
            "file": self.relative_file(root),
            "line": self.line,
        }
