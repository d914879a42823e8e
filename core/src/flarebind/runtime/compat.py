"""Compatibility date and flags: which Python Workers behaviours apply (facts from workerd's compatibility dates)."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

# flag -> the date from which it is on by default; each can be turned off with its disable flag
DEFAULT_ON_FROM: dict[str, str] = {
    "web_socket_compression": "2023-08-15",
    "assets_navigation_prefers_asset_serving": "2025-04-01",
    "python_no_global_handlers": "2025-08-14",
    "python_workers_force_new_vendor_path": "2025-08-11",
    "python_workflows": "2025-09-20",
    "python_workers_20250116": "2025-09-29",
    "python_dedicated_snapshot": "2025-10-16",
    "python_check_rng_state": "2025-12-16",
    "python_request_headers_preserve_commas": "2026-02-17",
    "python_workflows_implicit_dependencies": "2026-02-25",
    "enable_python_external_sdk": "2026-04-21",
    "python_process_pth_files": "2026-05-26",
}
DISABLE_FLAG = {
    "web_socket_compression": "no_web_socket_compression",
    "python_no_global_handlers": "disable_python_no_global_handlers",
    "enable_python_external_sdk": "disable_python_external_sdk",
}


@attrs.frozen
class Compat:
    date: str | None = None
    flags: tuple[str, ...] = ()

    @classmethod
    def of(cls, date: str | None, flags: Iterable[str] | None) -> Compat:
        return cls(date, tuple(flags or ()))

    def enabled(self, flag: str) -> bool:
        if flag in self.flags:
            return True
        disable = DISABLE_FLAG.get(flag, f"disable_{flag}")
        if disable in self.flags:
            return False
        start = DEFAULT_ON_FROM.get(flag)
        return bool(start and self.date and self.date >= start)

    @property
    def legacy_handlers(self) -> bool:
        """Module-level ``on_fetch`` & co. are handlers only while ``python_no_global_handlers`` is off."""
        return not self.enabled("python_no_global_handlers")


_current = Compat()


def current_compat() -> Compat:
    return _current


def set_current_compat(compat: Compat) -> None:
    global _current
    _current = compat
