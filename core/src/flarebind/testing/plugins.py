"""Helpers for testing a plugin: register it in-process, and build a project from config text.

::

    from flarebind.testing.plugins import project_from_config, registered_plugin

    def test_flags(tmp_path):
        with registered_plugin(my_plugin_module):
            project = project_from_config(tmp_path, '[[feature_flags]]\\nbinding = "FLAGS"\\nfile = "flags.json"\\n',
                                          files={"flags.json": "{}"})
            flags = project.local_binding("FLAGS")

Inside ``registered_plugin`` the process-wide plugin manager holds the installed plugins plus yours, so
``platform_proxy``, ``Runtime``, the CLI and the pytest plugin's ``env`` / ``worker`` fixtures all see it (as
pytester's ``pm.register`` does for pytest plugins).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

DEFAULT_HEADER = 'name = "test-worker"\ncompatibility_date = "2026-05-01"\n'


@contextlib.contextmanager
def registered_plugin(plugin: Any, name: str | None = None, *, entry_points: bool = True) -> Iterator[Any]:
    """Register ``plugin`` (a module or any object with ``@hookimpl`` functions) for the duration of the block.

    Yields the plugin manager (``.registry``, ``.errors``, ``.infos``). ``entry_points=False`` leaves installed
    plugins out (only the core's default plugins and yours).
    """
    with registered_plugins(plugin if name is None else (name, plugin), entry_points=entry_points) as plugins:
        yield plugins


@contextlib.contextmanager
def registered_plugins(*plugins: Any, entry_points: bool = True) -> Iterator[Any]:
    """:func:`registered_plugin` for several plugins; each is an object or a ``(name, object)`` pair."""
    from flarebind.plugins import make_plugins, set_plugins

    extra = []
    for plugin in plugins:
        if isinstance(plugin, tuple):
            extra.append(plugin)
        else:
            extra.append((getattr(plugin, "__name__", None) or type(plugin).__name__, plugin))
    manager = make_plugins(load_entry_points=entry_points, extra=extra)
    previous = set_plugins(manager)
    try:
        yield manager
    finally:
        set_plugins(previous)


def write_project(
    directory: str | Path, config: str, *, files: Mapping[str, str | bytes] = (), name: str = "wrangler.toml"
) -> Path:
    """Write ``config`` as ``directory/name`` (TOML unless ``name`` ends in .json/.jsonc) plus ``files``
    (relative path -> text or bytes); returns the config path. A TOML config without ``name`` gets a header."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    if name.endswith(".toml") and not any(line.startswith("name") for line in config.splitlines()):
        config = DEFAULT_HEADER + config
    path = root / name
    path.write_text(config)
    for rel, body in dict(files).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            target.write_bytes(body)
        else:
            target.write_text(body)
    return path


def project_from_config(
    directory: str | Path,
    config: str,
    *,
    files: Mapping[str, str | bytes] = (),
    name: str = "wrangler.toml",
    env: str | None = None,
    persist_to: str | Path | None = None,
) -> Any:
    """Write a project (see :func:`write_project`) and load it: a :class:`flarebind.plugin.Project` whose
    ``local_binding(name)`` / ``await remote_binding(name)`` build its bindings. Config errors raise
    :class:`flarebind.plugin.ConfigError` with every diagnostic."""
    from flarebind.bindings.convert import convert_config_bindings_to_start_worker_bindings
    from flarebind.cli.common import Project
    from flarebind.config.read import read_config

    path = write_project(directory, config, files=files, name=name)
    loaded = read_config(path, env)
    state = str(persist_to) if persist_to is not None else None
    return Project(loaded, loaded.env_name, state, convert_config_bindings_to_start_worker_bindings(loaded))
