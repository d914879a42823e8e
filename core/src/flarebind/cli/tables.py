"""wrangler's two output shapes for listings: a boxed table (``logger.table``) and labelled values."""

from __future__ import annotations

import unicodedata
from typing import Any


def _width(text: str) -> int:
    # emoji and other wide characters take two columns; variation selectors take none
    return sum(
        0 if unicodedata.combining(c) or c == "\ufe0f" else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def table(rows: list[dict[str, Any]]) -> str:
    """``┌─┬─┐`` table with a header row of the dict keys, as wrangler's ``logger.table``."""
    if not rows:
        return ""
    keys = list(rows[0])
    cells = [[str(row.get(k, "")) for k in keys] for row in rows]
    widths = [max(_width(k), *(_width(r[i]) for r in cells)) for i, k in enumerate(keys)]

    def line(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (w + 2) for w in widths) + right

    def row(values: list[str]) -> str:
        return "│" + "│".join(f" {_pad(v, w)} " for v, w in zip(values, widths, strict=True)) + "│"

    out = [line("┌", "┬", "┐"), row(keys), line("├", "┼", "┤")]
    for i, values in enumerate(cells):
        out.append(row(values))
        out.append(line("├", "┼", "┤") if i < len(cells) - 1 else line("└", "┴", "┘"))
    return "\n".join(out)


def labelled(values: dict[str, Any], indent: int = 0) -> str:
    """``Label:   value`` lines, values aligned two spaces after the longest label (wrangler's
    ``formatLabelledValues``)."""
    if not values:
        return ""
    width = max(len(k) for k in values) + 1
    pad = " " * indent
    return "\n".join(f"{pad}{(k + ':').ljust(width)}  {v}" for k, v in values.items())
