"""Messages that read like wrangler's: ``▲ [WARNING] …`` and ``✘ [ERROR] …`` on stderr, all at once.

Shared by the CLI and the dev server (the runtime never imports the CLI package); ``flarebind.cli.output`` re-exports
these names.
"""

from __future__ import annotations

from pathlib import Path

import click

from flarebind.config.diagnostics import Diagnostic, render_block


def warning(message: str) -> None:
    """Print ``▲ [WARNING] message`` on stderr, as wrangler does."""
    click.echo(click.style("▲ [WARNING] ", fg="yellow", bold=True) + message + "\n", err=True)


def error(message: str) -> None:
    """Print ``✘ [ERROR] message`` on stderr, as wrangler does."""
    click.echo(click.style("✘ [ERROR] ", fg="red", bold=True) + message + "\n", err=True)


def info(message: str) -> None:
    """Print ``message`` on stdout."""
    click.echo(message)


def print_diagnostics(diagnostics: list[Diagnostic], file: Path | None) -> None:
    """Warnings as one block and errors as one block, each headed ``Processing <file> configuration:``."""
    warnings = [d for d in diagnostics if not d.is_error]
    errors = [d for d in diagnostics if d.is_error]
    if warnings:
        warning(_indent_body(render_block(warnings, file)))
    if not errors:
        return
    if file is None:
        # the file could not be read or parsed: one error, shown with the offending source line (as esbuild does)
        for d in errors:
            error(d.message + _snippet(d))
    else:
        error(_indent_body(render_block(errors, file)))


def _snippet(d: Diagnostic) -> str:
    if d.file is None or d.line is None:
        return ""
    try:
        source = d.file.read_text(encoding="utf-8").splitlines()[d.line - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        source = ""
    col = d.col or 1
    gutter = str(d.line)
    return (
        f"\n\n    {d.location(Path.cwd())}:\n      {gutter} │ {source}\n      {' ' * len(gutter)} ╵ {' ' * (col - 1)}^"
    )


def _indent_body(block: str) -> str:
    head, _, body = block.partition("\n")
    return head + ("\n" + body if body else "")


def print_plugin_errors(plugins: object) -> None:
    for err in getattr(plugins, "errors", []):
        warning(
            f'The flarebind plugin "{err.name}" failed to load and was skipped: {err.error} '
            "(run `flarebind plugins` for details)."
        )
