"""flarebind's remote session makes the Cloudflare API calls wrangler 4.86.0 makes, in the same situations.

The committed list (``wrangler-4.86.0-calls.json``) was produced by running the pinned wrangler against the same
API stand-in (``wrangler_calls.py --write``). Every difference must be one that docs/remote-protocol.md lists as
deliberate (§9); anything else fails here.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from .wrangler_calls import CASES, COMMITTED, record_flarebind, record_wrangler

DOCS = Path(__file__).resolve().parents[2] / "docs" / "remote-protocol.md"


def _without_raw(call: dict[str, Any]) -> None:
    for binding in call.get("metadata", {}).get("bindings", []):
        binding.pop("raw", None)


def _without_minimal_mode(call: dict[str, Any]) -> None:
    call.get("session_config", {}).pop("minimal_mode", None)


def _without_proxy_secret(call: dict[str, Any]) -> None:
    metadata = call.get("metadata")
    if metadata:
        metadata["bindings"] = [b for b in metadata["bindings"] if b["name"] != "FLAREBIND_PROXY_SECRET"]


# deliberate difference id (as written in docs/remote-protocol.md) -> (applied to wrangler's call, to flarebind's)
DELIBERATE = {
    "raw-bindings": (_without_raw, None),
    "minimal-mode": (_without_minimal_mode, None),
    "proxy-secret": (None, _without_proxy_secret),
}


def comparable(recorded: dict[str, Any], side: int) -> dict[str, Any]:
    out = copy.deepcopy(recorded)
    for fixes in DELIBERATE.values():
        fix = fixes[side]
        if fix is not None:
            for call in out["calls"]:
                fix(call)
    return out


def test_every_deliberate_difference_is_documented():
    text = DOCS.read_text()
    for name in DELIBERATE:
        assert f"`{name}`" in text, f"docs/remote-protocol.md does not list the deliberate difference {name}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_flarebind_makes_the_calls_wrangler_makes(case):
    wrangler = json.loads(COMMITTED.read_text())[case]
    flarebind = record_flarebind(case)
    assert comparable(flarebind, 1) == comparable(wrangler, 0)


@pytest.mark.wrangler
@pytest.mark.parametrize("case", ["start", "update"])
def test_the_committed_list_is_what_the_pinned_wrangler_does(case):
    assert record_wrangler(case) == json.loads(COMMITTED.read_text())[case]
