"""The shims exist only inside the runner: a meta-path finder installed by a live Runtime, removed on dispose."""

from __future__ import annotations

import importlib
import sys

import pytest
from flarebind.runtime.finder import shims_installed
from flarebind.runtime.runtime import Runtime

WORKER = """
from workers import Response, WorkerEntrypoint
import js, pyodide.ffi, asgi, _cloudflare_compat_flags

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(js.__name__ + " " + pyodide.ffi.__name__)
"""


def _importable(name: str) -> bool:
    sys.modules.pop(name, None)
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    finally:
        sys.modules.pop(name, None)
    return True


async def test_shims_are_served_only_while_a_runtime_lives(write_worker) -> None:
    assert not shims_installed()
    assert not _importable("js")
    runtime = Runtime(main=write_worker(WORKER), in_memory=True)
    async with runtime:
        assert shims_installed()
        response = await runtime.dispatch_fetch("http://localhost/")
        assert await response.text() == "js pyodide.ffi"
        assert "workers" in sys.modules
    assert not shims_installed()
    assert "workers" not in sys.modules and "js" not in sys.modules and "pyodide" not in sys.modules
    assert not _importable("js")


async def test_a_real_module_of_the_same_name_is_restored_afterwards(write_worker, tmp_path, monkeypatch) -> None:
    # stands in for workers-py's `workers` package in the user's virtualenv
    site = tmp_path / "site"
    (site / "workers").mkdir(parents=True)
    (site / "workers" / "__init__.py").write_text("REAL = True\n")
    monkeypatch.syspath_prepend(str(site))
    import workers  # noqa: F401 - the real one, imported before the runner starts

    assert sys.modules["workers"].REAL is True
    async with Runtime(main=write_worker(WORKER), in_memory=True) as runtime:
        assert not hasattr(sys.modules["workers"], "REAL")
        assert (await runtime.dispatch_fetch("http://localhost/")).status == 200
    assert sys.modules["workers"].REAL is True
    sys.modules.pop("workers")


async def test_two_runtimes_share_the_finder(write_worker) -> None:
    first = Runtime(main=write_worker(WORKER), in_memory=True)
    second = Runtime(main=write_worker(WORKER, name="other.py"), in_memory=True)
    await first.ready
    await second.ready
    await first.dispose()
    assert shims_installed()
    assert (await second.dispatch_fetch("http://localhost/")).status == 200
    await second.dispose()
    assert not shims_installed()


def test_shim_modules_are_not_top_level_packages_of_the_distribution() -> None:
    import flarebind

    with pytest.raises(ImportError):
        importlib.import_module("pyodide.http")
    assert "workers" not in dir(flarebind)
