"""`flarebind dev --debugpy`: a DAP client attaches and stops at a breakpoint inside the Worker's `fetch`."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import httpx
import pytest

from tests.devtools.dap import DapClient
from tests.e2e.devproc import DevProcess, free_port

REPO = Path(__file__).resolve().parents[2]

pytest.importorskip("debugpy")


def test_a_dap_client_stops_at_a_breakpoint_inside_fetch(tmp_path: Path) -> None:
    project = tmp_path / "hello"
    shutil.copytree(REPO / "examples" / "hello", project, ignore=shutil.ignore_patterns("tests", ".wrangler"))
    entry = project / "src" / "entry.py"
    line = next(n for n, text in enumerate(entry.read_text().splitlines(), 1) if "path = urlparse" in text)
    port = free_port()
    dev = DevProcess(project, "--debugpy", f"127.0.0.1:{port}", "--no-watch")
    client = None
    try:
        dev.wait_for_output(f"Debugger (debugpy) listening on 127.0.0.1:{port}")
        dev.wait_for_output("Ready on")
        client = DapClient("127.0.0.1", port)
        client.request(
            "initialize",
            adapterID="debugpy",
            clientID="flarebind-test",
            pathFormat="path",
            linesStartAt1=True,
            columnsStartAt1=True,
        )
        attach = client.send("attach", justMyCode=False)
        client.event("initialized")
        result = client.request("setBreakpoints", source={"path": str(entry)}, breakpoints=[{"line": line}])
        assert result["body"]["breakpoints"][0]["verified"], result
        client.request("configurationDone")
        assert client.response(attach)["success"]

        answer: dict[str, httpx.Response] = {}
        request = threading.Thread(
            target=lambda: answer.setdefault("r", httpx.get(f"http://127.0.0.1:{dev.port}/", timeout=120))
        )
        request.start()
        stopped = client.event("stopped")
        assert stopped["body"]["reason"] == "breakpoint"
        frames = client.request("stackTrace", threadId=stopped["body"]["threadId"])["body"]["stackFrames"]
        assert frames[0]["name"] == "fetch" and frames[0]["line"] == line
        assert Path(frames[0]["source"]["path"]).resolve() == entry.resolve()
        # the Worker's own variables are visible: `request` is a local of fetch
        scopes = client.request("scopes", frameId=frames[0]["id"])["body"]["scopes"]
        local_vars = client.request("variables", variablesReference=scopes[0]["variablesReference"])["body"]
        assert "request" in {v["name"] for v in local_vars["variables"]}
        client.request("continue", threadId=stopped["body"]["threadId"])
        request.join(120)
        assert answer["r"].status_code == 200 and "Hello from Python" in answer["r"].text
    finally:
        if client is not None:
            client.close()
        dev.stop()
