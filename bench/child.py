"""Entry point of the benchmark's child processes: ``python -m bench.child module:function '<json params>'``.

Prints one JSON line: the function's result, or ``{"skip": reason}`` when it raised :class:`bench.harness.Skip`.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import sys

from bench.harness import Skip


def main() -> None:
    target, params = sys.argv[1], json.loads(sys.argv[2])
    module, _, name = target.partition(":")
    func = getattr(importlib.import_module(module), name)
    try:
        result = func(params)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
    except Skip as exc:
        result = {"skip": str(exc)}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
