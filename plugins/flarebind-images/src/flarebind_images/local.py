"""The local Images factory: ``make_local(name, spec, ctx)`` -> an :class:`ImagesBinding` on Pillow.

The binding keeps no state (transformations are pure), so nothing is written under the state folder.
"""

from __future__ import annotations

from typing import Any

from flarebind.plugin import LocalContext

from flarebind_images.binding import ImagesBinding


def make_local(name: str, spec: dict[str, Any], ctx: LocalContext) -> ImagesBinding:
    return ImagesBinding(name)
