"""Tables drawn the way wrangler's ``logger.table`` draws them (box characters, a rule between every row)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _width(text: str) -> int:
    # emoji status marks take two cells in a terminal; variation selectors take none
    return sum(0 if ch == "\ufe0f" else 2 if ord(ch) >= 0x1F000 or ch in "✅❌" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def render_table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return ""
    headers = list(rows[0].keys())
    cells = [[("" if r.get(h) is None else str(r.get(h))) for h in headers] for r in rows]
    widths = [max([_width(h)] + [_width(c[i]) for c in cells]) for i, h in enumerate(headers)]

    def rule(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (w + 2) for w in widths) + right

    def line(values: list[str]) -> str:
        return "│" + "│".join(f" {_pad(v, w)} " for v, w in zip(values, widths, strict=False)) + "│"

    out = [rule("┌", "┬", "┐"), line(headers)]
    for row in cells:
        out.append(rule("├", "┼", "┤"))
        out.append(line(row))
    out.append(rule("└", "┴", "┘"))
    return "\n".join(out)
