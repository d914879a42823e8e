"""Image resizing in `flarebind dev` as a real process: `/cdn-cgi/image/<options>/<source>` URLs (a source on the
Worker itself and one on another origin), a Worker's `fetch(url, cf={"image": …})`, and `env.IMAGES` — all on the
same engine. The other origin is a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import base64
import http.server
import io
import os
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from tests.e2e.devproc import DevProcess  # noqa: E402


def halves_png(w: int, h: int) -> bytes:
    im = Image.new("RGB", (w, h), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, w // 2, h))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


WORKER = """
import base64
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint, fetch

PNG = base64.b64decode({png!r})


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/photo.png":
            return Response(PNG, headers={{"content-type": "image/png"}})
        if path == "/resized":
            image = {{"width": 40, "height": 40, "fit": "cover", "gravity": "left", "format": "webp"}}
            return await fetch(self.env.ORIGIN + "/source.png", cf={{"image": image}})
        if path == "/resized-missing":
            return await fetch(self.env.ORIGIN + "/nothing.png", cf={{"image": {{"width": 40}}}})
        if path == "/info":
            info = await self.env.IMAGES.info(request.body)
            return Response.json(dict(info))
        if path == "/binding":
            result = await self.env.IMAGES.input(PNG).transform({{"width": 30}}).output({{"format": "image/png"}})
            return result.response()
        return Response("not found", status=404)
"""

CONFIG = """
name = "imagesdev"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[vars]
ORIGIN = "{origin}"

[images]
binding = "IMAGES"
"""


@pytest.fixture
def origin() -> Iterator[str]:
    source = halves_png(400, 200)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/source.png":
                self.send_response(200)
                self.send_header("content-type", "image/png")
                self.send_header("content-length", str(len(source)))
                self.end_headers()
                self.wfile.write(source)
            else:
                self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in ("CLOUDFLARE_ENV", "FLAREBIND_LOAD_PLUGINS", "FLAREBIND_DISABLE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    return dict(os.environ)


@pytest.fixture
def dev(tmp_path: Path, origin: str, clean_env: dict[str, str]) -> Iterator[DevProcess]:
    (tmp_path / "src").mkdir()
    png = base64.b64encode(halves_png(300, 200)).decode()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER.format(png=png)))
    (tmp_path / "wrangler.toml").write_text(CONFIG.format(origin=origin))
    proc = DevProcess(tmp_path, env=clean_env)
    try:
        proc.wait_for_output("Ready on http://127.0.0.1:")
        yield proc
    finally:
        code = proc.stop()
        assert code == 0, proc.output


def decoded(body: bytes) -> Image.Image:
    return Image.open(io.BytesIO(body)).convert("RGB")


def test_images_binding_is_local_by_default(dev: DevProcess) -> None:
    assert "env.IMAGES" in dev.output and "local" in dev.output
    r = dev.get("/binding")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert decoded(r.content).size == (30, 20)


def test_a_request_body_is_an_images_input(dev: DevProcess) -> None:
    data = halves_png(123, 45)
    r = dev.client.post("/info", content=data, headers={"content-type": "image/png"})
    assert r.json() == {"format": "image/png", "fileSize": len(data), "width": 123, "height": 45}


def test_cdn_cgi_image_from_the_workers_own_path(dev: DevProcess) -> None:
    r = dev.get("/cdn-cgi/image/width=150,format=png/photo.png")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png" and r.headers["cf-resized"] == "internal=ok"
    im = decoded(r.content)
    assert im.size == (150, 100)
    assert im.getpixel((10, 50))[0] > 240 and im.getpixel((140, 50))[2] > 240


def test_cdn_cgi_image_from_another_origin_with_aliases(dev: DevProcess, origin: str) -> None:
    r = dev.get(f"/cdn-cgi/image/w=100,h=100,fit=cover,g=right,f=jpeg/{origin}/source.png")
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"\xff\xd8\xff")
    im = decoded(r.content)
    assert im.size == (100, 100) and im.getpixel((50, 50))[2] > 200  # the right (blue) half was kept


def test_cdn_cgi_format_auto_follows_accept(dev: DevProcess) -> None:
    r = dev.get("/cdn-cgi/image/width=100,format=auto/photo.png", headers={"accept": "image/webp,*/*"})
    assert r.headers["content-type"] == "image/webp" and r.content[8:12] == b"WEBP"
    r = dev.get("/cdn-cgi/image/width=100,format=auto/photo.png", headers={"accept": "*/*"})
    assert r.headers["content-type"] == "image/png"


def test_cdn_cgi_json_format(dev: DevProcess) -> None:
    r = dev.get("/cdn-cgi/image/width=60,format=json/photo.png")
    assert r.json() == {
        "width": 60,
        "height": 40,
        "original": {"file_size": len(halves_png(300, 200)), "width": 300, "height": 200, "format": "image/png"},
    }


def test_cdn_cgi_errors_carry_cf_resized(dev: DevProcess) -> None:
    r = dev.get("/cdn-cgi/image/width=100/missing.png")
    assert r.status_code == 404 and r.headers["cf-resized"] == "err=9404"
    r = dev.get("/cdn-cgi/image/fit=stretch/photo.png")
    assert r.status_code == 400 and r.headers["cf-resized"] == "err=9401"
    assert r.text.startswith("ERROR 9401: ")


def test_onerror_redirect_sends_the_client_to_the_source(dev: DevProcess) -> None:
    r = dev.get("/cdn-cgi/image/width=100,blur=999,onerror=redirect/photo.png", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == "/photo.png" and r.headers["cf-resized"] == "err=9401"


def test_other_cdn_cgi_paths_still_reach_the_worker(dev: DevProcess) -> None:
    assert dev.get("/cdn-cgi/nothing-registered/x").status_code == 404


def test_fetch_with_cf_image_resizes(dev: DevProcess) -> None:
    r = dev.get("/resized")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/webp"
    im = decoded(r.content)
    assert im.size == (40, 40) and im.getpixel((20, 20))[0] > 200  # gravity left: the red half


def test_fetch_with_cf_image_of_a_missing_source(dev: DevProcess) -> None:
    r = dev.get("/resized-missing")
    assert r.status_code == 404 and r.headers["cf-resized"] == "err=9404"
