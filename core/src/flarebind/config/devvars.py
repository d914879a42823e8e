"""Local secrets: ``.dev.vars.<env>`` or ``.dev.vars``, else ``.env`` files (python-dotenv), as wrangler loads them."""

from __future__ import annotations

import os
from pathlib import Path

from flarebind.config.diagnostics import ConfigError, Diagnostic


def dev_vars_files(project_dir: Path, env: str | None) -> list[Path]:
    """The files wrangler would read, in increasing priority."""
    if env and (project_dir / f".dev.vars.{env}").is_file():
        return [project_dir / f".dev.vars.{env}"]
    if (project_dir / ".dev.vars").is_file():
        return [project_dir / ".dev.vars"]
    if os.environ.get("CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV", "true").lower() == "false":
        return []
    names = [".env", ".env.local"]
    if env:
        names += [f".env.{env}", f".env.{env}.local"]
    return [project_dir / n for n in names if (project_dir / n).is_file()]


def load_dev_vars(project_dir: Path, env: str | None) -> tuple[dict[str, str], list[Path]]:
    """The values of the dev vars files; raises :class:`ConfigError` for a file that is not UTF-8 text."""
    values: dict[str, str] = {}
    files = dev_vars_files(project_dir, env)
    if not files:
        return values, files
    import io

    from dotenv import dotenv_values  # only projects with a .dev.vars / .env file pay for the import

    from flarebind.config.source import decode_config_text

    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigError([Diagnostic("error", f"Could not read {path}: {exc.strerror or exc}", path)]) from None
        text = decode_config_text(raw, path)  # a clear error with the line of the first bad byte
        for key, value in dotenv_values(stream=io.StringIO(text)).items():
            if value is not None:
                values[key] = value
    return values, files
