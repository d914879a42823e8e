"""flarebind plugin for Browser Rendering (Browser Run): declares the binding type and its adapters.

The Python helper for Workers lives in :mod:`flarebind_browser.helper` (also served as ``workers.browser``).
"""

from __future__ import annotations

from typing import Any

from flarebind.plugin import BindingType, Shape, Support, hookimpl


def upload_metadata(name: str, spec: Any) -> dict[str, Any]:
    return {"name": name, "type": "browser"}


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="browser",
            config_key="browser",
            friendly_name="Browser Run",
            support=Support.LOCAL_AND_REMOTE,
            shape=Shape.OBJECT,
            fields={"binding": str},
            required=("binding",),
            upload_metadata=upload_metadata,
            simulator="local headless Chromium (DevTools protocol)",
        )
    )


@hookimpl
def register_adapters(register: Any) -> None:
    register.local("browser", "flarebind_browser.local:make_local")
    register.remote("browser", "flarebind_browser.remote:make_remote")
