"""The bindings table wrangler prints at dev start (``Binding / Resource / Mode``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flarebind.bindings.rules import table_mode

if TYPE_CHECKING:  # bindings sit below config: names only, for annotations
    from flarebind.config.model import BindingEntry, Config

TITLE = "Your Worker has access to the following bindings:"
NONE = "No bindings found."
MAX_VALUE = 40
GAP = " " * 6


def _value(binding: BindingEntry) -> str | None:
    # vars and secrets too: their declarations give the quoted JSON value and "(hidden)"
    try:
        return binding.type.resource(binding.entry)
    except Exception:  # a plugin's resource label must never break the table
        return None


def _cell(binding: BindingEntry) -> str:
    value = _value(binding)
    if not value:
        return f"env.{binding.name}"
    if len(value) > MAX_VALUE:
        value = value[: MAX_VALUE - 3] + "..."
    return f"env.{binding.name} ({value})"


NOT_SIMULATED = "not simulated"


def table_rows(config: Config, *, local: bool = False, registry: Any = None) -> list[dict[str, Any]]:
    if registry is None:
        from flarebind.plugins import get_plugins

        registry = get_plugins().registry

    def mode(binding: BindingEntry) -> str:
        value = table_mode(binding.type, binding.remote, local)
        # "local" only where an installed plugin actually simulates the type
        if value == "local" and not registry.has_adapter("local", binding.type.type):
            return NOT_SIMULATED
        return value

    return [
        {
            "binding": binding.name,
            "cell": _cell(binding),
            "type": binding.type.type,
            "resource": binding.type.friendly_name,
            "value": _value(binding),
            "mode": mode(binding),
        }
        for binding in config.bindings
    ]


_MODE_COLOURS = {"local": "blue", "remote": "yellow", "not supported": None, NOT_SIMULATED: None}


def _colour(mode: str) -> str | None:
    return _MODE_COLOURS.get(mode.split(" (", 1)[0])


def render_table(rows: list[dict[str, Any]], *, color: bool = False, with_mode: bool = True) -> str:
    if not rows:
        return NONE
    import click

    headers = ["Binding", "Resource"] + (["Mode"] if with_mode else [])
    cells = [[r["cell"], r["resource"]] + ([r["mode"]] if with_mode else []) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]

    def line(values: list[str], styles: list[dict[str, Any]]) -> str:
        parts = []
        for i, (value, style) in enumerate(zip(values, styles, strict=True)):
            text = value if i == len(values) - 1 else value.ljust(widths[i])
            parts.append(click.style(text, **style) if color and style else text)
        return GAP.join(parts).rstrip()

    out = [TITLE, line(headers, [{"dim": True}] * len(headers))]
    for row, c in zip(rows, cells, strict=True):
        styles: list[dict[str, Any]] = [{}, {"fg": "magenta"}]
        if with_mode:
            colour = _colour(row["mode"])
            styles.append({"fg": colour} if colour else {"dim": True})
        out.append(line(c, styles))
    return "\n".join(out)
