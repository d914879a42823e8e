"""Static assets in a real `flarebind dev`: served before the Worker (django-todo-d1's front end and the assets
example's layout: `/`, `/app.js`, `/style.css` in a folder, an API in the Worker), the `ASSETS` binding,
`run_worker_first` patterns, `_headers`/`_redirects`, ETags over HTTP."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from .devproc import DevProcess

WORKER = """
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/from-binding":
            asset = await self.env.ASSETS.fetch("http://assets.local/style.css")
            return Response("binding:" + (await asset.text()), headers={"x-status": str(asset.status)})
        return Response(f"worker {request.method} {path}")
"""

CONFIG = """
name = "assets-e2e"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[assets]
directory = "./public"
binding = "ASSETS"
not_found_handling = "single-page-application"
run_worker_first = ["/api/*", "!/api/docs/*"]
"""


@pytest.fixture
def dev(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[DevProcess]:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    public = tmp_path / "public"
    (public / "api" / "docs").mkdir(parents=True)
    (public / "index.html").write_text("<h1>todo</h1>")
    (public / "app.js").write_text("console.log('app')")
    (public / "style.css").write_text("body{color:red}")
    (public / "api" / "docs" / "index.html").write_text("api docs")
    (public / "api" / "secret.txt").write_text("should reach the worker first")
    (public / "_headers").write_text("/*\n  X-Served-By: assets\n")
    (public / "_redirects").write_text("/old-home / 301\n")
    proc = DevProcess(tmp_path, env=clean_env)
    try:
        proc.wait_for_output("Ready on http://127.0.0.1:")
        yield proc
    finally:
        code = proc.stop()
        assert code == 0, proc.output


def test_assets_before_the_worker(dev: DevProcess) -> None:
    home = dev.get("/")
    assert (home.status_code, home.text) == (200, "<h1>todo</h1>")
    assert home.headers["content-type"] == "text/html; charset=utf-8"
    assert home.headers["x-served-by"] == "assets"
    js = dev.get("/app.js")
    assert (js.status_code, js.headers["content-type"]) == (200, "text/javascript; charset=utf-8")
    css = dev.get("/style.css")
    assert css.text == "body{color:red}"
    # conditional request: 304 with the same ETag
    again = dev.get("/style.css", headers={"If-None-Match": css.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_unmatched_paths_and_run_worker_first_reach_the_worker(dev: DevProcess) -> None:
    assert dev.get("/todos").text == "worker GET /todos"
    # /api/* runs the Worker first even though the file exists...
    assert dev.get("/api/secret.txt").text == "worker GET /api/secret.txt"
    # ...except the negated /api/docs/*
    assert dev.get("/api/docs/").text == "api docs"
    post = dev.client.post("/todos", content=b"x")
    assert post.text == "worker POST /todos"


def test_navigation_requests_get_the_spa_shell(dev: DevProcess) -> None:
    nav = dev.get("/todos/42", headers={"Sec-Fetch-Mode": "navigate"})
    assert (nav.status_code, nav.text) == (200, "<h1>todo</h1>")


def test_html_handling_redirect_and_redirects_file(dev: DevProcess) -> None:
    r = dev.get("/index.html")
    assert (r.status_code, r.headers["location"]) == (307, "/")
    r = dev.get("/old-home?x=1")
    assert (r.status_code, r.headers["location"]) == (301, "/?x=1")


def test_assets_binding_fetch(dev: DevProcess) -> None:
    r = dev.get("/from-binding")
    assert r.text == "binding:body{color:red}"
    assert r.headers["x-status"] == "200"


def test_asset_requests_are_logged(dev: DevProcess) -> None:
    dev.get("/style.css")
    dev.wait_for_output("GET /style.css 200 OK (asset)")


@pytest.mark.parametrize("binding", ['binding = "ASSETS"\n', ""])
def test_a_bad_mode_is_a_config_error(tmp_path: Path, clean_env: dict[str, str], binding: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "public").mkdir()
    (tmp_path / "wrangler.toml").write_text(
        CONFIG.split("[assets]")[0] + f'[assets]\ndirectory = "./public"\n{binding}html_handling = "sometimes"\n'
    )
    proc = DevProcess(tmp_path, env=clean_env)
    code = proc.proc.wait(60)
    proc._reader.join(10)
    proc.stop()
    assert code == 1, proc.output
    assert 'Expected "assets.html_handling" field to be one of' in proc.output
    assert "Traceback" not in proc.output


def test_editing_the_assets_block_applies_without_restart(tmp_path: Path, clean_env: dict[str, str]) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "index.html").write_text("shell")
    config = CONFIG.split("[assets]")[0] + '[assets]\ndirectory = "./public"\n'
    (tmp_path / "wrangler.toml").write_text(config)
    proc = DevProcess(tmp_path, env=clean_env)
    try:
        proc.wait_for_output("Ready on http://127.0.0.1:")
        assert proc.get("/index.html").status_code == 307
        mark = proc.mark()
        (tmp_path / "wrangler.toml").write_text(config + 'html_handling = "none"\n')
        proc.wait_for_output("Configuration changed; reloaded", after=mark)
        r = proc.get("/index.html")
        assert (r.status_code, r.text) == (200, "shell")
    finally:
        assert proc.stop() == 0, proc.output
