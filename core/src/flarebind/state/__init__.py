"""Local state as a whole: portable archives (:mod:`.archive`), named snapshots and reset (:mod:`.folder`), and the
running dev server picking up a restored state on its next request (:mod:`.live`).

The state folder is wrangler's (``<project>/.wrangler/state`` or ``--persist-to``): resources live in ``v3/``;
flarebind's own files (snapshots, the generation marker) in ``flarebind/`` next to it, never inside ``v3/``.
"""

from pathlib import Path

OWN = "flarebind"  # flarebind's files next to v3/
GENERATION = "generation"


class StateError(Exception):
    """A problem with a state archive, snapshot or folder; the message says what to do."""


def generation_file(state: Path) -> Path:
    """The marker a restore, import or reset rewrites; a running dev server reopens its stores when it changes."""
    return state / OWN / GENERATION
