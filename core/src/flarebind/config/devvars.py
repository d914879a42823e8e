"""Local secrets: ``.dev.vars.<env>`` or ``.dev.vars``, else ``.env`` files (python-dotenv), as wrangler loads them."""

from __future__ import annotations

import os
from pathlib import Path


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
    values: dict[str, str] = {}
    files = dev_vars_files(project_dir, env)
    if not files:
        return values, files
    from dotenv import dotenv_values  # only projects with a .dev.vars / .env file pay for the import

    for path in files:
        for key, value in dotenv_values(path).items():
            if value is not None:
                values[key] = value
    return values, files
