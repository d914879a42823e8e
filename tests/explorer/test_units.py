"""Small pieces: the page never serves a file outside its static folder, remote bindings are not listed, archive
member paths are checked, snapshot names are validated."""

from __future__ import annotations

import pytest
from flarebind.explorer.page import serve_page
from flarebind.explorer.resources import Resources
from flarebind.state import StateError
from flarebind.state.archive import _member_path
from flarebind.state.folder import snapshot_path


@pytest.mark.parametrize("sub", ["/../../../../etc/passwd", "/..%2f..%2fetc/passwd", "/static/../__init__.py", "/.x"])
def test_the_page_serves_only_its_own_files(sub) -> None:
    reply = serve_page(sub, "tok")
    assert reply.status == 200 and b"flarebind explorer" in reply.body and b"root:" not in reply.body
    assert reply.headers["content-type"] == "text/html; charset=utf-8"


def test_the_page_carries_the_token_and_ships_its_script() -> None:
    assert b'content="tok"' in serve_page("/", "tok").body
    script = serve_page("/app.js", "tok")
    assert script.headers["content-type"].startswith("text/javascript") and b"x-flarebind-explorer-token" in script.body


def test_remote_bindings_are_not_explored() -> None:
    specs = {
        "LOCAL": {"type": "kv_namespace", "id": "a"},
        "REMOTE": {"type": "kv_namespace", "id": "b", "remote_proxy_connection_string": "http://x"},
        "DB": {"type": "d1", "database_id": "d", "preview_database_id": "p"},
        "B": {"type": "r2_bucket", "bucket_name": "bucket"},
    }
    res = Resources(worker="w", specs=specs, env={})
    assert res.kv == {"a": "LOCAL"} and res.d1 == {"p": "DB"} and res.r2 == {"bucket": "B"}


@pytest.mark.parametrize("name", ["../x", "v3/../../x", "/abs", "kv/x", "v3\\..\\x", ""])
def test_archive_members_must_stay_in_v3(name) -> None:
    with pytest.raises(StateError):
        _member_path(name)


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "x" * 65, "", "a..b", "end."])
def test_snapshot_names_are_validated(tmp_path, name) -> None:
    with pytest.raises(StateError, match="invalid snapshot name"):
        snapshot_path(tmp_path, name)
