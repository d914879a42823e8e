"""Finding the config file.

Precedence (documented in docs/configuration.md): an explicit ``-c/--config`` path wins. Otherwise we walk up from
the start directory and take the **closest** directory holding a config; inside one directory
``wrangler.json`` > ``wrangler.jsonc`` > ``wrangler.toml``. Wrangler searches by file name first (a
``wrangler.json`` in a parent beats a ``wrangler.toml`` next to you); we choose closest-first because a config next
to your code is the one you mean, and in a single directory we keep wrangler's order, so every project wrangler
reads the same way from its own directory resolves identically here.
"""

from __future__ import annotations

from pathlib import Path

CONFIG_NAMES = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")


def find_config_path(config: str | Path | None = None, start: str | Path | None = None) -> Path | None:
    if config is not None:
        path = Path(config)
        if path.is_dir():
            for name in CONFIG_NAMES:
                if (path / name).is_file():
                    return path / name
            return None
        return path
    here = Path(start) if start is not None else Path.cwd()
    here = here.resolve()
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
    return None
