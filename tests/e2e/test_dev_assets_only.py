"""An assets-only Worker (``assets`` and no ``main``) in a real `flarebind dev`, `flarebind check` and
`flarebind bindings`: every request is the asset server's (html_handling, not_found_handling, `_headers`, 405),
and the configs wrangler 4.86 refuses without `main` are refused with its words."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .devproc import BIN, DevProcess

CONFIG = """
name = "static-site"
compatibility_date = "2026-05-01"

[assets]
directory = "./public"
not_found_handling = "404-page"
"""


def site(root: Path, config: str = CONFIG) -> Path:
    public = root / "public"
    (public / "blog").mkdir(parents=True)
    (public / "index.html").write_text("<h1>home</h1>")
    (public / "about.html").write_text("<h1>about</h1>")
    (public / "blog" / "index.html").write_text("<h1>blog</h1>")
    (public / "404.html").write_text("<h1>not here</h1>")
    (public / "draft.html").write_text("unpublished")
    (public / ".assetsignore").write_text("draft.html\n")
    (public / "_headers").write_text("/*\n  X-Site: static\n")
    (root / "wrangler.toml").write_text(config)
    return root


@pytest.fixture
def dev(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[DevProcess]:
    proc = DevProcess(site(tmp_path), env=clean_env)
    try:
        proc.wait_for_output("Ready on http://127.0.0.1:")
        yield proc
    finally:
        code = proc.stop()
        assert code == 0, proc.output


def test_every_request_is_served_from_the_directory(dev: DevProcess) -> None:
    assert 'Assets-only Worker (no "main")' in dev.output
    assert "failed to load" not in dev.output
    home = dev.get("/")
    assert (home.status_code, home.text, home.headers["x-site"]) == (200, "<h1>home</h1>", "static")
    assert dev.get("/about").text == "<h1>about</h1>"  # auto-trailing-slash: /about -> about.html
    redirect = dev.get("/about.html")
    assert (redirect.status_code, redirect.headers["location"]) == (307, "/about")
    assert dev.get("/blog/").text == "<h1>blog</h1>"
    # no Worker to fall back to: not_found_handling applies to every request, navigation or not
    missing = dev.get("/nope")
    assert (missing.status_code, missing.text) == (404, "<h1>not here</h1>")
    ignored = dev.get("/draft.html")  # .assetsignore
    assert (ignored.status_code, ignored.text) == (404, "<h1>not here</h1>")
    post = dev.client.post("/about")
    assert post.status_code == 405
    again = dev.get("/", headers={"If-None-Match": home.headers["etag"]})
    assert again.status_code == 304


def test_without_not_found_handling_a_miss_is_an_empty_404(tmp_path: Path, clean_env: dict[str, str]) -> None:
    site(tmp_path, CONFIG.replace('not_found_handling = "404-page"\n', ""))
    proc = DevProcess(tmp_path, env=clean_env)
    try:
        proc.wait_for_output("Ready on")
        missing = proc.get("/nope")
        assert (missing.status_code, missing.content) == (404, b"")
        assert missing.headers["x-site"] == "static"
    finally:
        assert proc.stop() == 0, proc.output


def run(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "flarebind"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_check_and_bindings_say_it_is_assets_only(tmp_path: Path, clean_env: dict[str, str]) -> None:
    site(tmp_path)
    check = run(tmp_path, "check", env=clean_env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "✔ wrangler.toml is valid." in check.stdout
    assert (
        'Assets-only Worker (no "main"): every request is answered from the assets directory ./public' in check.stdout
    )
    table = run(tmp_path, "bindings", env=clean_env)
    assert "No bindings found." in table.stdout and "Assets-only Worker" in table.stdout


REFUSED = [
    (
        'binding = "ASSETS"\n',
        "Cannot use assets with a binding in an assets-only Worker.\nPlease remove the asset binding from your "
        "configuration file, or provide a Worker script in your configuration file (`main`).",
    ),
    (
        "run_worker_first = true\n",
        "Cannot set run_worker_first without a Worker script.\nPlease remove run_worker_first from your configuration "
        "file, or provide a Worker script in your configuration file (`main`).",
    ),
    (
        'run_worker_first = ["/api/*"]\n',
        "Cannot set run_worker_first without a Worker script.",
    ),
]


@pytest.mark.parametrize(("extra", "message"), REFUSED)
def test_what_wrangler_refuses_without_main(
    tmp_path: Path, clean_env: dict[str, str], extra: str, message: str
) -> None:
    site(tmp_path, CONFIG + extra)
    check = run(tmp_path, "check", env=clean_env)
    out = check.stdout + check.stderr
    assert check.returncode == 1
    # the message keeps wrangler's line break; the diagnostics printer indents the second line
    first, *rest = message.split("\n")
    assert first in out and all(line in out for line in rest), out
    assert "wrangler.toml:" in out  # file:line of the offending field
    dev = run(tmp_path, "dev", "--port", "0", env=clean_env)
    assert dev.returncode == 1 and first in dev.stdout + dev.stderr


def test_run_worker_first_false_is_allowed_without_main(tmp_path: Path, clean_env: dict[str, str]) -> None:
    site(tmp_path, CONFIG + "run_worker_first = false\n")
    assert run(tmp_path, "check", env=clean_env).returncode == 0


def test_no_main_and_no_assets_is_still_an_error(tmp_path: Path, clean_env: dict[str, str]) -> None:
    (tmp_path / "wrangler.toml").write_text('name = "x"\ncompatibility_date = "2026-05-01"\n')
    dev = run(tmp_path, "dev", "--port", "0", env=clean_env)
    assert dev.returncode == 1 and 'has no "main"' in dev.stdout + dev.stderr


FRONT_CONFIG = """
name = "front"
main = "entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[[services]]
binding = "SITE"
service = "static-site"
"""

FRONT = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        page = await self.env.SITE.fetch("http://site/about")
        try:
            await self.env.SITE.render()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        return Response(f"{page.status} {await page.text()} | {error}")
"""


def test_a_service_binding_to_an_assets_only_worker_reaches_its_asset_server(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    site(tmp_path / "site")
    (tmp_path / "front").mkdir()
    (tmp_path / "front" / "entry.py").write_text(FRONT)
    (tmp_path / "front" / "wrangler.toml").write_text(FRONT_CONFIG)
    proc = DevProcess(
        tmp_path,
        "-c",
        str(tmp_path / "front" / "wrangler.toml"),
        "-c",
        str(tmp_path / "site" / "wrangler.toml"),
        env=clean_env,
    )
    try:
        proc.wait_for_output("Ready on http://127.0.0.1:")
        assert proc.get("/").text == (
            '200 <h1>about</h1> | TypeError: The RPC receiver does not implement the method "render".'
        )
    finally:
        assert proc.stop() == 0, proc.output
