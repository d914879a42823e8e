"""Messages that read like wrangler's: ``▲ [WARNING] …`` and ``✘ [ERROR] …`` on stderr, all at once."""

from __future__ import annotations

from pathlib import Path

import click

from flarebind.config.diagnostics import Diagnostic, render_block


def _stderr_color() -> bool | None:
    return None  # let click decide (no colour when not a terminal)


def warning(message: str) -> None:
    click.echo(click.style("▲ [WARNING] ", fg="yellow", bold=True) + message + "\n", err=True, color=_stderr_color())


def error(message: str) -> None:
    click.echo(click.style("✘ [ERROR] ", fg="red", bold=True) + message + "\n", err=True, color=_stderr_color())


def info(message: str) -> None:
    click.echo(message)


def print_diagnostics(diagnostics: list[Diagnostic], file: Path | None) -> None:
    """Warnings as one block and errors as one block, each headed ``Processing <file> configuration:``."""
    warnings = [d for d in diagnostics if not d.is_error]
    errors = [d for d in diagnostics if d.is_error]
    if warnings:
        warning(_indent_body(render_block(warnings, file)))
    if errors:
        if file is None or all(d.file is None for d in errors) and len(errors) == 1:
            error(errors[0].message)
        elif len(errors) == 1 and errors[0].path is None and errors[0].line is not None:
            d = errors[0]
            error(f"{d.message}\n\n    {d.location()}")
        else:
            error(_indent_body(render_block(errors, file)))


def _indent_body(block: str) -> str:
    head, _, body = block.partition("\n")
    return head + ("\n" + body if body else "")


def print_plugin_errors(plugins: object) -> None:
    for err in getattr(plugins, "errors", []):
        warning(f'The flarebind plugin "{err.name}" failed to load and was skipped: {err.error} '
                "(run `flarebind plugins` for details).")
