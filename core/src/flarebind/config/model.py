"""The parsed configuration: attrs models for the Worker settings and for each configured binding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from flarebind.bindings.types import BindingType
from flarebind.config.diagnostics import Diagnostic


@attrs.define(kw_only=True)
class WorkerSettings:
    """The non-binding settings flarebind uses; values are type-checked first (type errors are diagnostics)."""

    name: str | None = None
    main: str | None = None
    compatibility_date: str | None = None
    compatibility_flags: list[str] = attrs.field(factory=list)
    account_id: str | None = None


@attrs.define(kw_only=True)
class BindingEntry:
    """One configured binding, as written (unknown fields dropped), with where it was written."""

    type: BindingType
    name: str
    entry: dict[str, Any]
    path: str  # key path in the file, e.g. "env.staging.r2_buckets[0]"
    env: str | None = None
    line: int | None = None
    col: int | None = None

    @property
    def remote(self) -> Any:
        """The ``remote`` value as written (``None`` when omitted; may be a non-boolean, which is an error)."""
        return self.entry.get("remote")


@attrs.define(kw_only=True)
class Config:
    """A config file read for one environment. ``diagnostics`` holds every warning (errors raise ConfigError)."""

    path: Path
    format: str
    env_name: str | None
    settings: WorkerSettings
    bindings: list[BindingEntry]
    raw: dict[str, Any]
    flat: dict[str, Any]
    dev_vars: dict[str, str] = attrs.field(factory=dict)
    dev_vars_files: list[Path] = attrs.field(factory=list)
    diagnostics: list[Diagnostic] = attrs.field(factory=list)
    production_conflicts: list[Diagnostic] = attrs.field(factory=list)

    @property
    def dir(self) -> Path:
        return self.path.parent

    @property
    def name(self) -> str | None:
        return self.settings.name

    @property
    def main(self) -> str | None:
        return self.settings.main

    @property
    def compatibility_date(self) -> str | None:
        return self.settings.compatibility_date

    @property
    def compatibility_flags(self) -> list[str]:
        return self.settings.compatibility_flags

    @property
    def account_id(self) -> str | None:
        return self.settings.account_id

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    def production_refusal(self, *, local: bool, allow: bool) -> list[Diagnostic]:
        """The production-guard errors that stop development (none with --local or --allow-production-remote)."""
        return [] if local or allow else self.production_conflicts

    @property
    def production_warnings(self) -> list[Diagnostic]:
        """The same findings as warnings, for commands that only report (``check``, ``bindings``)."""
        return [attrs.evolve(d, level="warning") for d in self.production_conflicts]

    def binding(self, name: str) -> BindingEntry | None:
        return next((b for b in self.bindings if b.name == name), None)
