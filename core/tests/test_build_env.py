"""build_env: bindings that cannot run here are placeholders that explain themselves on first use."""

from __future__ import annotations

import pytest
from flarebind.bindings.context import LocalContext
from flarebind.errors import NotSimulatedError, RemoteRequiredError
from flarebind.platform import build_env


def test_unsimulated_and_remote_only_bindings_raise_on_use():
    env = build_env(
        {
            "GREETING": {"type": "plain_text", "value": "hi"},
            "AE": {"type": "analytics_engine", "dataset": "events"},
            "MEDIA": {"type": "media"},
        },
        LocalContext(in_memory=True),
    )
    assert env.GREETING == env["GREETING"] == "hi"
    expected = r"^Binding AE \(Analytics Engine Dataset\): no installed plugin provides a local simulation"
    with pytest.raises(NotSimulatedError, match=expected):
        env.AE.writeDataPoint({})
    with pytest.raises(RemoteRequiredError, match=r"^Binding MEDIA needs to be run remotely$"):
        env.MEDIA.input(b"")
