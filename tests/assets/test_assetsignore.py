"""``.assetsignore`` with wrangler 4.86's semantics (workers-shared ``createAssetsIgnoreFunction``, used by
Miniflare's dev manifest): gitignore syntax, ``/.assetsignore``, ``/_redirects`` and ``/_headers`` always left out
(only at the top of the directory), nothing else left out by default."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from flarebind.runtime.assets import AssetsConfig, AssetServer
from flarebind.runtime.assets.manifest import ignore_matcher

FILES = {
    "index.html": "<h1>home</h1>",
    "app.js": "1",
    "app.js.map": "{}",
    "keep.map": "{}",
    "_worker.js": "export default {}",
    "node_modules/m.js": "m",
    ".git/HEAD": "ref",
    "drafts/a.html": "draft",
    "drafts/b/c.html": "draft",
    "docs/a.md": "a",
    "docs/deep/b.md": "b",
    "sub/_headers": "not the config file",
    "sub/.assetsignore": "x",
    "secret.txt": "s",
    "sub/secret.txt": "t",
}


def make(tmp_path: Path, ignore: str | None) -> AssetServer:
    site = tmp_path / "public"
    for name, text in FILES.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    (site / "_headers").write_text("/x\n  A: b\n")
    (site / "_redirects").write_text("/r /index.html\n")
    if ignore is not None:
        (site / ".assetsignore").write_text(ignore)
    return AssetServer(AssetsConfig.from_spec({"directory": "public", "html_handling": "none"}, tmp_path))


def served(s: AssetServer, path: str) -> bool:
    r = s.respond("GET", path, "example.com", "", {})
    return r is not None and r.status == 200


def test_without_assetsignore_only_the_three_config_files_are_left_out(tmp_path: Path) -> None:
    s = make(tmp_path, None)
    for path in ("/_headers", "/_redirects", "/.assetsignore"):
        assert not served(s, path), path
    # wrangler serves these in dev unless .assetsignore names them
    for path in ("/_worker.js", "/node_modules/m.js", "/.git/HEAD", "/sub/_headers", "/sub/.assetsignore"):
        assert served(s, path), path


GITIGNORE_CASES = [
    # (.assetsignore line(s), path, served?)
    ("*.map", "/app.js.map", False),
    ("*.map\n!keep.map", "/keep.map", True),
    ("*.map\n!keep.map", "/app.js.map", False),
    ("drafts/", "/drafts/a.html", False),
    ("drafts/", "/drafts/b/c.html", False),
    ("drafts/\n!drafts/a.html", "/drafts/a.html", False),  # no re-include below an excluded folder
    ("/secret.txt", "/secret.txt", False),
    ("/secret.txt", "/sub/secret.txt", True),  # anchored to the top
    ("secret.txt", "/sub/secret.txt", False),  # unanchored: any depth
    ("docs/*.md", "/docs/a.md", False),
    ("docs/*.md", "/docs/deep/b.md", True),  # a slash in the middle anchors; * stays in one segment
    ("docs/**/*.md", "/docs/deep/b.md", False),
    ("# a comment\n\n_worker.js", "/_worker.js", False),
    ("node_modules\n.git", "/node_modules/m.js", False),
    ("node_modules\n.git", "/.git/HEAD", False),
    ("*.map\r\nsecret.txt\r\n", "/secret.txt", False),  # CRLF files
    ("\\#not-a-comment", "/index.html", True),
    ("!_headers", "/_headers", True),  # last match wins: wrangler then serves the file too (it is still read as rules)
]


@pytest.mark.parametrize(("ignore", "path", "expected"), GITIGNORE_CASES)
def test_gitignore_syntax(tmp_path: Path, ignore: str, path: str, expected: bool) -> None:
    assert served(make(tmp_path, ignore), path) is expected


def test_ignore_matcher_on_paths() -> None:
    matcher = ignore_matcher(Path("/nonexistent-folder-for-flarebind-test"))
    assert matcher(".assetsignore") and matcher("_headers") and matcher("_redirects")
    assert not matcher("a/_headers") and not matcher("_worker.js")


def test_editing_assetsignore_while_running_applies(tmp_path: Path) -> None:
    s = make(tmp_path, "")
    assert served(s, "/secret.txt")
    ignore = tmp_path / "public" / ".assetsignore"
    ignore.write_text("secret.txt\n")
    later = time.time() + 5
    os.utime(ignore, (later, later))  # a distinct mtime even on coarse file-system clocks
    s._rules_checked -= 2  # the once-a-second check is due
    assert not served(s, "/secret.txt")
    assert served(s, "/index.html")


async def test_an_assets_only_runtime_answers_dispatch_fetch_from_the_directory(tmp_path: Path) -> None:
    from flarebind.runtime import Runtime

    site = tmp_path / "public"
    site.mkdir()
    (site / "index.html").write_text("<h1>home</h1>")
    (site / "404.html").write_text("gone")
    runtime = Runtime(
        main=None,
        project_dir=tmp_path,
        in_memory=True,
        assets={"directory": "public", "not_found_handling": "404-page"},
    )
    try:
        await runtime.ready
        assert runtime.assets_only and runtime.worker is None
        home = await runtime.dispatch_fetch("http://localhost/")
        assert (home.status, await home.text()) == (200, "<h1>home</h1>")
        missing = await runtime.dispatch_fetch("http://localhost/nope")
        assert (missing.status, await missing.text()) == (404, "gone")
    finally:
        await runtime.dispose()
