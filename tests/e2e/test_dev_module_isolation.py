"""Two Workers in one `flarebind dev -c a -c b`, each with its own `helpers.py`, `lazyonly.py` and package `pkg`:
every import, at module level or run later inside a handler (plain, relative, submodule), finds the importing
Worker's own module, also when the two Workers' handlers interleave on the event loop (A awaits a call into B
between its imports)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from .devproc import DevProcess

WORKER = """
import json

from workers import Response, WorkerEntrypoint

import helpers


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        import helpers as again
        import lazyonly
        from pkg.sub import WHO as sub_who

        seen = [helpers.WHO, again.WHO, lazyonly.WHO, sub_who, lazyonly.relative()]
        if request.url.endswith("/both") and {call_other}:
            other = await self.env.OTHER.fetch("http://other/")
            import helpers as after
            import lazyonly as lazy_after

            seen += [json.loads(await other.text()), after.WHO, lazy_after.WHO]
        return Response(json.dumps(seen))
"""

CONFIG = """
name = "{name}"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[[services]]
binding = "OTHER"
service = "{other}"
"""


def _worker(root: Path, name: str, other: str, call_other: bool) -> Path:
    src = root / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "entry.py").write_text(textwrap.dedent(WORKER).replace("{call_other}", str(call_other)))
    (src / "helpers.py").write_text(f"WHO = 'helpers of {name}'\n")
    (src / "lazyonly.py").write_text(
        f"WHO = 'lazyonly of {name}'\n\n\ndef relative():\n    from pkg import sub\n\n    return sub.WHO\n"
    )
    (src / "pkg" / "__init__.py").write_text("")
    (src / "pkg" / "sub.py").write_text(f"from . import other\n\nWHO = 'pkg.sub of {name} ' + other.WHO\n")
    (src / "pkg" / "other.py").write_text(f"WHO = 'pkg.other of {name}'\n")
    (root / "wrangler.toml").write_text(CONFIG.format(name=name, other=other))
    return root / "wrangler.toml"


def _expected(name: str) -> list[str]:
    sub = f"pkg.sub of {name} pkg.other of {name}"
    return [f"helpers of {name}", f"helpers of {name}", f"lazyonly of {name}", sub, sub]


def test_each_worker_imports_its_own_modules(tmp_path: Path, clean_env: dict[str, str]) -> None:
    a = _worker(tmp_path / "a", "alpha", "beta", True)
    b = _worker(tmp_path / "b", "beta", "alpha", False)
    dev = DevProcess(tmp_path, "-c", str(a), "-c", str(b), env=clean_env)
    try:
        dev.wait_for_output("Ready on http://127.0.0.1:")
        # without isolation one Worker's lazy imports find the modules of whichever Worker imported the name last
        assert json.loads(dev.get("/").text) == _expected("alpha")
        assert json.loads(dev.get("/both").text) == [
            *_expected("alpha"),
            _expected("beta"),
            "helpers of alpha",
            "lazyonly of alpha",
        ]
        assert json.loads(dev.get("/").text) == _expected("alpha")
    finally:
        assert dev.stop() == 0, dev.output
