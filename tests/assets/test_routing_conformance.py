"""Asset routing conformance, built from Cloudflare's documented rules (cloudflare-docs
workers/static-assets/routing/advanced/html-handling.mdx, .../not-found-handling, worker-script.mdx
(run_worker_first), static-assets/headers.mdx and redirects.mdx) and the asset worker's behaviour in workers-sdk.

Each table row is (request path -> expected status, expected Location or served file).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flarebind.runtime.assets import AssetsConfig, AssetsConfigError, AssetServer

FILES = {
    "index.html": "<h1>home</h1>",
    "file.html": "<p>file</p>",
    "folder/index.html": "<p>folder</p>",
    "both.html": "<p>both.html</p>",
    "both/index.html": "<p>both/index</p>",
    "css/site.css": "body{}",
    "app.js": "console.log(1)",
    "data.json": "{}",
    "logo.svg": "<svg/>",
    "blob.bin": "\x00\x01",
    "404.html": "<p>top 404</p>",
    "docs/404.html": "<p>docs 404</p>",
}


def make_site(root: Path, files: dict[str, str] = FILES, **extra: str) -> Path:
    site = root / "public"
    for name, text in {**files, **extra}.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return site


def server(root: Path, **spec: object) -> AssetServer:
    return AssetServer(AssetsConfig.from_spec({"directory": "public", **spec}, root))


def outcome(s: AssetServer, path: str, *, method: str = "GET", headers: dict[str, str] | None = None):
    r = s.respond(method, path, "example.com", "", headers or {})
    if r is None:
        return None
    h = dict(r.headers)
    return (r.status, h["Location"]) if "Location" in h else (r.status, r.body.decode())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    make_site(tmp_path)
    return tmp_path


# -- html_handling --------------------------------------------------------------------------------------------

AUTO = [
    ("/", (200, "<h1>home</h1>")),
    ("/index.html", (307, "/")),
    ("/index", (307, "/")),
    ("/file", (200, "<p>file</p>")),
    ("/file.html", (307, "/file")),
    ("/file/", (307, "/file")),
    ("/folder", (307, "/folder/")),
    ("/folder/", (200, "<p>folder</p>")),
    ("/folder/index.html", (307, "/folder/")),
    ("/folder/index", (307, "/folder/")),
    # both /both.html and /both/index.html: each is served at its own canonical URL
    ("/both", (200, "<p>both.html</p>")),
    ("/both/", (200, "<p>both/index</p>")),
    ("/css/site.css", (200, "body{}")),
]

FORCE = [
    ("/", (200, "<h1>home</h1>")),
    ("/index.html", (307, "/")),
    ("/file", (307, "/file/")),
    ("/file/", (200, "<p>file</p>")),
    ("/file.html", (307, "/file/")),
    ("/folder", (307, "/folder/")),
    ("/folder/", (200, "<p>folder</p>")),
    ("/folder/index.html", (307, "/folder/")),
    ("/css/site.css", (200, "body{}")),
]

DROP = [
    ("/", (200, "<h1>home</h1>")),
    ("/index.html", (307, "/")),
    ("/file", (200, "<p>file</p>")),
    ("/file/", (307, "/file")),
    ("/file.html", (307, "/file")),
    ("/folder", (200, "<p>folder</p>")),
    ("/folder/", (307, "/folder")),
    ("/folder/index.html", (307, "/folder")),
    ("/css/site.css", (200, "body{}")),
]

NONE = [
    ("/", None),
    ("/index.html", (200, "<h1>home</h1>")),
    ("/file", None),
    ("/file.html", (200, "<p>file</p>")),
    ("/folder/", None),
    ("/folder/index.html", (200, "<p>folder</p>")),
]


@pytest.mark.parametrize(
    ("mode", "path", "expected"),
    [("auto-trailing-slash", p, e) for p, e in AUTO]
    + [("force-trailing-slash", p, e) for p, e in FORCE]
    + [("drop-trailing-slash", p, e) for p, e in DROP]
    + [("none", p, e) for p, e in NONE],
)
def test_html_handling(root: Path, mode: str, path: str, expected: object) -> None:
    assert outcome(server(root, html_handling=mode), path) == expected


def test_default_html_handling_is_auto_trailing_slash(root: Path) -> None:
    s = server(root)
    assert [outcome(s, p) for p, _ in AUTO] == [e for _, e in AUTO]


def test_redirect_keeps_query_string(root: Path) -> None:
    r = server(root).respond("GET", "/file.html", "example.com", "?a=1", {})
    assert r is not None and (r.status, dict(r.headers)["Location"]) == (307, "/file?a=1")


def test_paths_are_decoded_then_redirected_to_their_encoded_form(tmp_path: Path) -> None:
    make_site(tmp_path, {"[boop].html": "boop", "ü.txt": "u"})
    s = server(tmp_path)
    assert outcome(s, "/%5Bboop%5D") == (200, "boop")
    assert outcome(s, "/[boop]") == (307, "/%5Bboop%5D")
    assert outcome(s, "/%C3%BC.txt") == (200, "u")


# -- not_found_handling ---------------------------------------------------------------------------------------


def test_not_found_none_is_no_match(root: Path) -> None:
    assert outcome(server(root), "/missing") is None


def test_single_page_application_serves_index_with_200(root: Path) -> None:
    s = server(root, not_found_handling="single-page-application")
    assert outcome(s, "/some/client/route") == (200, "<h1>home</h1>")
    assert outcome(s, "/file") == (200, "<p>file</p>")  # real files still win


def test_404_page_is_the_nearest_404_html_up_the_tree(root: Path) -> None:
    s = server(root, not_found_handling="404-page")
    assert outcome(s, "/docs/deep/missing") == (404, "<p>docs 404</p>")
    assert outcome(s, "/docs/missing") == (404, "<p>docs 404</p>")
    assert outcome(s, "/elsewhere/missing") == (404, "<p>top 404</p>")


def test_404_page_without_any_404_html_is_no_match(tmp_path: Path) -> None:
    make_site(tmp_path, {"index.html": "x"})
    assert outcome(server(tmp_path, not_found_handling="404-page"), "/missing") is None


# -- routing in front of a Worker: run_worker_first and navigation requests --------------------------------------


def test_asset_first_by_default_and_unmatched_goes_to_the_worker(root: Path) -> None:
    s = server(root, not_found_handling="single-page-application")
    assert s.route("GET", "/file", "example.com", "", {}) is not None
    # not_found_handling does not apply in front of a Worker for non-navigation requests
    assert s.route("GET", "/api/users", "example.com", "", {}) is None


def test_navigation_requests_prefer_the_spa_fallback(root: Path) -> None:
    s = AssetServer(
        AssetsConfig.from_spec(
            {"directory": "public", "not_found_handling": "single-page-application"},
            root,
            navigation_prefers_assets=True,
        )
    )
    nav = s.route("GET", "/app/route", "example.com", "", {"sec-fetch-mode": "navigate"})
    assert nav is not None and nav.body == b"<h1>home</h1>"
    assert s.route("GET", "/app/route", "example.com", "", {"sec-fetch-mode": "cors"}) is None


def test_run_worker_first_true_sends_everything_to_the_worker(root: Path) -> None:
    s = server(root, run_worker_first=True)
    assert s.route("GET", "/file", "example.com", "", {}) is None
    assert s.route("GET", "/", "example.com", "", {}) is None


def test_run_worker_first_patterns_with_negation(tmp_path: Path) -> None:
    make_site(tmp_path, {"api/docs/index.html": "docs", "api/data.json": "{}", "index.html": "home"})
    s = server(tmp_path, run_worker_first=["/api/*", "!/api/docs/*"])
    assert s.route("GET", "/api/data.json", "example.com", "", {}) is None  # the Worker first
    docs = s.route("GET", "/api/docs/", "example.com", "", {})
    assert docs is not None and docs.body == b"docs"  # excluded: assets first
    home = s.route("GET", "/", "example.com", "", {})
    assert home is not None and home.body == b"home"


def test_bad_run_worker_first_rule_is_an_error(root: Path) -> None:
    with pytest.raises(AssetsConfigError, match='must start with "/" or "!/"'):
        server(root, run_worker_first=["api/*"])


def test_bad_modes_are_errors(root: Path) -> None:
    with pytest.raises(AssetsConfigError, match=r"assets\.html_handling"):
        server(root, html_handling="sometimes")
    with pytest.raises(AssetsConfigError, match=r"assets\.not_found_handling"):
        server(root, not_found_handling="spa")


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AssetsConfigError, match="does not exist"):
        AssetServer(AssetsConfig.from_spec({"directory": "nope"}, tmp_path))


# -- methods, ETags, content types, cache headers ----------------------------------------------------------------


def test_non_get_on_an_asset_is_405(root: Path) -> None:
    assert outcome(server(root), "/file", method="POST") == (405, "")


def test_head_has_headers_and_no_body(root: Path) -> None:
    r = server(root).respond("HEAD", "/file", "example.com", "", {})
    assert r is not None and r.status == 200 and r.body == b""
    assert dict(r.headers)["Content-Length"] == str(len("<p>file</p>"))


def test_etag_and_if_none_match(root: Path) -> None:
    s = server(root)
    first = s.respond("GET", "/css/site.css", "example.com", "", {})
    assert first is not None
    etag = dict(first.headers)["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = s.respond("GET", "/css/site.css", "example.com", "", {"if-none-match": etag})
    assert again is not None and again.status == 304 and again.body == b""
    weak = s.respond("GET", "/css/site.css", "example.com", "", {"if-none-match": f"W/{etag}"})
    assert weak is not None and weak.status == 304
    other = s.respond("GET", "/css/site.css", "example.com", "", {"if-none-match": '"nope"'})
    assert other is not None and other.status == 200


def test_etag_changes_when_the_file_changes(root: Path) -> None:
    s = server(root)
    before = dict(s.respond("GET", "/app.js", "example.com", "", {}).headers)["ETag"]  # type: ignore[union-attr]
    (root / "public" / "app.js").write_text("console.log(2) // longer")
    after = dict(s.respond("GET", "/app.js", "example.com", "", {}).headers)["ETag"]  # type: ignore[union-attr]
    assert before != after


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/css/site.css", "text/css; charset=utf-8"),
        # as `wrangler dev` 4.86 serves them (mime 4.0.7; a charset only on text/*)
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/data.json", "application/json"),
        ("/logo.svg", "image/svg+xml"),
        ("/blob.bin", "application/octet-stream"),
    ],
)
def test_content_types(root: Path, path: str, kind: str) -> None:
    r = server(root).respond("GET", path, "example.com", "", {})
    assert r is not None and dict(r.headers)["Content-Type"] == kind


def test_cache_control_unless_authorization_or_range(root: Path) -> None:
    s = server(root)
    plain = dict(s.respond("GET", "/file", "example.com", "", {}).headers)  # type: ignore[union-attr]
    assert plain["Cache-Control"] == "public, max-age=0, must-revalidate"
    auth = dict(s.respond("GET", "/file", "example.com", "", {"authorization": "x"}).headers)  # type: ignore[union-attr]
    assert "Cache-Control" not in auth


def test_config_files_are_not_served(root: Path) -> None:
    (root / "public" / "_headers").write_text("/x\n  A: b\n")
    (root / "public" / "_redirects").write_text("/a /b\n")
    (root / "public" / ".assetsignore").write_text("")
    s = server(root, html_handling="none")
    for path in ("/_headers", "/_redirects", "/.assetsignore"):
        assert outcome(s, path) is None, path


def test_dot_dot_cannot_escape_the_directory(root: Path) -> None:
    (root / "secret.txt").write_text("secret")
    s = server(root, html_handling="none")
    assert outcome(s, "/../secret.txt") is None
    assert outcome(s, "/%2e%2e/secret.txt") is None


def test_new_files_are_picked_up(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = server(root)
    assert outcome(s, "/late.txt") is None
    (root / "public" / "late.txt").write_text("late")
    s.manifest._scanned = 0.0  # as if the last scan were more than a second ago
    assert outcome(s, "/late.txt") == (200, "late")


# -- _redirects ---------------------------------------------------------------------------------------------------


def test_redirects_file(root: Path) -> None:
    (root / "public" / "_redirects").write_text(
        "# comment\n"
        "/old /file 301\n"
        "/temp /file\n"
        "/blog/* /posts/:splat 308\n"
        "/users/:id /u/:id 303\n"
        "/rewrite /file 200\n"
        "/rewrite-html /file.html 200\n"
        "/away https://example.org/x 302\n"
        "/blog/pinned /file 307\n"
    )
    s = server(root)
    assert outcome(s, "/old") == (301, "/file")
    assert outcome(s, "/temp") == (302, "/file")
    assert outcome(s, "/blog/2024/hello") == (308, "/posts/2024/hello")
    assert outcome(s, "/users/42") == (303, "/u/42")
    # static rules win over dynamic ones even when they come later
    assert outcome(s, "/blog/pinned") == (307, "/file")
    # 200: serves the other asset at the same URL
    assert outcome(s, "/rewrite") == (200, "<p>file</p>")
    # ...but html_handling still applies to the rewritten path: /file.html's canonical URL is /file
    assert outcome(s, "/rewrite-html") == (307, "/file")
    assert outcome(s, "/away") == (302, "https://example.org/x")


def test_redirect_keeps_the_request_query_when_the_target_has_none(root: Path) -> None:
    (root / "public" / "_redirects").write_text("/old /file 301\n/q /file?x=1 301\n")
    s = server(root)
    r = s.respond("GET", "/old", "example.com", "?a=1", {})
    assert r is not None and dict(r.headers)["Location"] == "/file?a=1"
    r = s.respond("GET", "/q", "example.com", "?a=1", {})
    assert r is not None and dict(r.headers)["Location"] == "/file?x=1"


def test_bad_redirect_lines_are_warnings(root: Path) -> None:
    (root / "public" / "_redirects").write_text("/a /b 404\n/only-one\n/c /d\n/c /e\n")
    s = server(root)
    assert len(s.warnings) == 3
    assert "line 1" in s.warnings[0] and "Got 404" in s.warnings[0]
    assert "line 4" in s.warnings[2] and "duplicate" in s.warnings[2]
    assert outcome(s, "/c") == (302, "/d")


def test_rewrite_to_a_missing_asset_is_404(root: Path) -> None:
    (root / "public" / "_redirects").write_text("/r /nope.html 200\n")
    assert outcome(server(root), "/r") == (404, "")


# -- _headers -----------------------------------------------------------------------------------------------------


def test_headers_file(root: Path) -> None:
    (root / "public" / "_headers").write_text(
        "/*\n"
        "  X-Frame-Options: DENY\n"
        "  X-Multi: one\n"
        "/css/*\n"
        "  Cache-Control: public, max-age=31536000\n"
        "  X-Multi: two\n"
        "/file\n"
        "  ! X-Frame-Options\n"
        "/users/:id\n"
        "  X-User: :id\n"
    )
    s = server(root)
    css = s.respond("GET", "/css/site.css", "example.com", "", {})
    assert css is not None
    assert ("X-Frame-Options", "DENY") in css.headers
    assert ("Cache-Control", "public, max-age=31536000") in css.headers
    assert [v for k, v in css.headers if k == "Cache-Control"] == ["public, max-age=31536000"]
    assert [v for k, v in css.headers if k == "X-Multi"] == ["one", "two"]
    plain = s.respond("GET", "/file", "example.com", "", {})
    assert plain is not None and "X-Frame-Options" not in dict(plain.headers)
    (root / "public" / "_redirects").write_text("/users/:id /file 302\n")
    user = server(root).respond("GET", "/users/7", "example.com", "", {})
    assert user is not None and dict(user.headers)["X-User"] == "7"  # _headers apply to redirects too


def test_edited_rule_files_are_read_again(root: Path) -> None:
    s = server(root)
    assert outcome(s, "/go") is None
    (root / "public" / "_redirects").write_text("/go /file 301\n")
    s._rules_checked = 0.0  # as if the last check were more than a second ago
    assert outcome(s, "/go") == (301, "/file")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        # each checked against `wrangler dev` 4.86 serving the same file
        ("favicon.ico", "image/vnd.microsoft.icon"),
        ("feed.xml", "application/xml"),
        ("notes.md", "text/markdown; charset=utf-8"),
        ("m.mjs", "text/javascript; charset=utf-8"),
    ],
)
def test_content_types_as_wrangler_dev_sends_them(tmp_path: Path, name: str, kind: str) -> None:
    make_site(tmp_path, {name: "x"})
    r = server(tmp_path).respond("GET", f"/{name}", "example.com", "", {})
    assert r is not None and dict(r.headers)["Content-Type"] == kind
