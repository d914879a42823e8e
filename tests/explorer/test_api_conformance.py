"""Explorer API conformance: the same calls against Miniflare's explorer (pinned wrangler dev) and flarebind's, on the
same seeded data, compared field by field (status, envelope, results, the headers that matter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from flarebind.testing.wrangler import wrangler_dev

from .api_script import drive, dumps
from .conftest import BINDINGS, D1_ID, write_project

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from e2e.devproc import BIN, free_port


def _wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(900):
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read().decode(errors='replace') if proc.stdout else ''}")
        try:
            if httpx.get(base + "/cdn-cgi/explorer/api/local/workers", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        import time

        time.sleep(0.2)
    raise AssertionError("server never answered")


def _compare(theirs: list[dict], ours: list[dict]) -> None:
    assert len(ours) == len(theirs)
    import difflib

    differ = [
        "\n".join(difflib.unified_diff(dumps([t]).splitlines(), dumps([o]).splitlines(), "miniflare", "flarebind", n=2))
        for t, o in zip(theirs, ours, strict=True)
        if t != o
    ]
    assert not differ, "\n\n".join(differ)


@pytest.fixture(scope="module")
def miniflare_records(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    folder = tmp_path_factory.mktemp("miniflare")
    (folder / "index.js").write_text('export default { fetch() { return new Response("ok") } }\n')
    (folder / "wrangler.toml").write_text(
        f'name = "explorer-app"\nmain = "index.js"\ncompatibility_date = "2026-05-01"\n{BINDINGS}'
    )
    mp = pytest.MonkeyPatch()
    # a private dev registry: the explorer would otherwise aggregate other wrangler sessions on this machine
    mp.setenv("WRANGLER_REGISTRY_PATH", str(folder / "registry"))
    port = free_port()
    try:
        with wrangler_dev(folder, port, folder / "state") as proc:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base, proc)
            with httpx.Client(base_url=base, timeout=60) as client:
                return drive(client, D1_ID)
    finally:
        mp.undo()


@pytest.mark.wrangler
def test_flarebind_dev_answers_as_miniflare_does(miniflare_records, dev) -> None:
    ours = drive(dev.client, D1_ID)
    _compare(miniflare_records, ours)


@pytest.mark.wrangler
def test_flarebind_explorer_without_a_dev_server_answers_the_same(miniflare_records, tmp_path: Path) -> None:
    project = write_project(tmp_path / "app")
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "flarebind"), "explorer", "--port", str(port), "--persist-to", str(project / "state")],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, proc)
        with httpx.Client(base_url=base, timeout=60) as client:
            ours = drive(client, D1_ID)
    finally:
        proc.terminate()
        proc.wait(30)
    _compare(miniflare_records, ours)
