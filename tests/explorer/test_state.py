"""State commands as real CLI processes: export → reset → import is byte-identical, snapshots under a running dev
server, --seed / --export-on-exit, and archives or names that would reach outside the state folder are refused."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from flarebind.state.archive import checksums
from flarebind.state.folder import checkpoint

from .conftest import write_project

API = "/cdn-cgi/explorer/api"


def flarebind(project: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    from e2e.devproc import BIN

    proc = subprocess.run([str(BIN / "flarebind"), *args], cwd=project, capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


async def _seed(project: Path) -> None:
    from flarebind.platform import platform_proxy

    async with platform_proxy(project / "wrangler.toml", local=True) as proxy:
        env = proxy.env
        await env.KV.put("greeting", "hello", metadata={"v": 1})
        await env.KV.put("blob", bytes(range(256)) * 10)
        await env.BUCKET.put("docs/a.txt", b"alpha", {"httpMetadata": {"contentType": "text/plain"}})
        await env.BUCKET.put("big.bin", b"\x01" * 300_000)
        await env.DB.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        await env.DB.prepare("INSERT INTO t (name) VALUES (?), (?)").bind("ann", "bob").run()


def _sums(project: Path) -> dict:
    v3 = project / ".wrangler" / "state" / "v3"
    checkpoint(v3)
    return checksums(v3)


async def test_export_reset_import_is_byte_identical(project: Path, tmp_path: Path) -> None:
    await _seed(project)
    before = _sums(project)
    kinds = {rel.split("/")[1] for rel in before}
    assert {"kv", "r2", "d1"} <= kinds
    archive = tmp_path / "out" / "state.tar.gz"
    out = flarebind(project, "state", "export", str(archive))
    assert f"Exported {len(before)} file(s)" in out.stdout
    flarebind(project, "state", "reset", "--yes")
    assert _sums(project) == {}
    flarebind(project, "state", "import", str(archive))
    assert _sums(project) == before
    # and the data reads back through the bindings
    from flarebind.platform import platform_proxy

    async with platform_proxy(project / "wrangler.toml", local=True) as proxy:
        assert await proxy.env.KV.get("greeting") == "hello"
        assert (await (await proxy.env.BUCKET.get("big.bin")).arrayBuffer()) == b"\x01" * 300_000
        rows = (await proxy.env.DB.prepare("SELECT name FROM t ORDER BY id").all())["results"]
        assert [r["name"] for r in rows] == ["ann", "bob"]


async def test_snapshots_list_restore_and_names_stay_in_the_state_folder(project: Path) -> None:
    await _seed(project)
    flarebind(project, "state", "snapshot", "base")
    assert (project / ".wrangler" / "state" / "flarebind" / "snapshots" / "base.tar.gz").is_file()
    assert flarebind(project, "state", "list").stdout.split() == ["base"]
    bad = flarebind(project, "state", "snapshot", "../escape", ok=False)
    assert bad.returncode == 1 and "invalid snapshot name '../escape'" in bad.stderr
    missing = flarebind(project, "state", "restore", "nope", ok=False)
    assert "no snapshot named 'nope' (snapshots: base)" in missing.stderr
    assert not list(project.parent.glob("escape*"))


@pytest.mark.parametrize(
    ("member", "why"),
    [
        ("../evil.txt", "outside v3/"),
        ("/etc/evil", "outside v3/"),
        ("v3/../../evil", "outside v3/"),
        ("v3/kv/link", "not a regular file"),
    ],
)
def test_an_archive_reaching_outside_is_refused_and_nothing_changes(project: Path, tmp_path: Path, member, why) -> None:
    archive = tmp_path / "evil.tar.gz"
    manifest = json.dumps({"format": "flarebind-state", "version": 1, "files": {}}).encode()
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
        info = tarfile.TarInfo(member)
        if why == "not a regular file":
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
        else:
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
    (project / ".wrangler" / "state" / "v3").mkdir(parents=True)
    (project / ".wrangler" / "state" / "v3" / "keep.txt").write_text("kept")
    proc = flarebind(project, "state", "import", str(archive), ok=False)
    assert proc.returncode == 1 and why in proc.stderr
    assert (project / ".wrangler" / "state" / "v3" / "keep.txt").read_text() == "kept"
    assert not (tmp_path / "evil.txt").exists() and not (project / ".wrangler" / "evil").exists()


def test_a_damaged_archive_is_refused(project: Path, tmp_path: Path) -> None:
    (project / ".wrangler" / "state" / "v3" / "kv").mkdir(parents=True)
    (project / ".wrangler" / "state" / "v3" / "kv" / "x.bin").write_bytes(b"original")
    archive = tmp_path / "a.tar.gz"
    flarebind(project, "state", "export", str(archive))
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()]
    with tarfile.open(archive, "w:gz") as tar:
        for m, data in members:
            if m.name.endswith("x.bin"):
                data = b"tampered"
            tar.addfile(m, io.BytesIO(data) if data is not None else None)
    proc = flarebind(project, "state", "import", str(archive), ok=False)
    assert "checksum mismatch" in proc.stderr


def test_snapshot_restore_under_a_running_dev_server_is_seen_by_the_next_request(dev, project: Path) -> None:
    kv = f"{API}/storage/kv/namespaces/explorer-kv/values/greeting"
    assert dev.client.put(kv, content=b"first").status_code == 200
    assert dev.get("/").text == "first"
    flarebind(project, "state", "snapshot", "one", "--persist-to", str(project / "state"))
    assert dev.client.put(kv, content=b"second").status_code == 200
    assert dev.get("/").text == "second"
    flarebind(project, "state", "restore", "one", "--persist-to", str(project / "state"))
    assert dev.get("/").text == "first"  # the very next request
    # and writes after the restore land in the restored state
    assert dev.client.put(kv, content=b"third").status_code == 200
    flarebind(project, "state", "reset", "--yes", "--persist-to", str(project / "state"))
    assert dev.get("/").text == "None"


def test_dev_seed_and_export_on_exit(project: Path, tmp_path: Path) -> None:
    import asyncio

    from e2e.devproc import DevProcess

    asyncio.run(_seed(project))
    seed = tmp_path / "seed.tar.gz"
    flarebind(project, "state", "export", str(seed))
    flarebind(project, "state", "reset", "--yes")
    out = tmp_path / "after.tar.gz"
    proc = DevProcess(project, "--seed", str(seed), "--export-on-exit", str(out))
    try:
        proc.wait_for_output("Ready on")
        assert "Seeded local state from" in proc.output
        assert proc.get("/").text == "hello"
        put = proc.client.put(f"{API}/storage/kv/namespaces/explorer-kv/values/greeting", content=b"changed")
        assert put.status_code == 200
    finally:
        proc.stop()
    assert out.is_file(), proc.output
    fresh = write_project(tmp_path / "fresh")
    flarebind(fresh, "state", "import", str(out))

    async def read() -> str:
        from flarebind.platform import platform_proxy

        async with platform_proxy(fresh / "wrangler.toml", local=True) as p:
            return await p.env.KV.get("greeting")

    assert asyncio.run(read()) == "changed"
    # the seeded D1 database travelled through the dev session too
    assert any(rel.startswith("v3/d1/") for rel in _sums(fresh))
