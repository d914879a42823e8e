"""``flarebind doctor``: will this Worker run on Cloudflare? Static checks of what CPython tolerates and Python
Workers (Pyodide in workerd) do not: dependencies, bundle size, CPython-only behaviour, compatibility flags.

Each check is a module with a ``check(project) -> list[Finding]`` function; :func:`run_doctor` runs them all.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from flarebind.doctor.findings import Finding

__all__ = ["Finding", "Project", "run_doctor"]


@attrs.frozen
class Project:
    """What the checks read: the config's folder, the Worker's entry module, its compatibility settings."""

    root: Path
    main: Path | None
    compatibility_date: str | None
    compatibility_flags: tuple[str, ...]
    plan: str = "free"

    @property
    def src_dir(self) -> Path:
        return self.main.parent if self.main is not None else self.root


def project_from_config(loaded: object, plan: str) -> Project:
    root = loaded.dir  # type: ignore[attr-defined]
    main = loaded.main  # type: ignore[attr-defined]
    return Project(
        root=root,
        main=(root / main).resolve() if main else None,
        compatibility_date=loaded.compatibility_date,  # type: ignore[attr-defined]
        compatibility_flags=tuple(loaded.compatibility_flags),  # type: ignore[attr-defined]
        plan=plan,
    )


def run_doctor(project: Project) -> list[Finding]:
    from flarebind.doctor import compat, cpython, deps, size

    findings: list[Finding] = []
    for module in (deps, size, cpython, compat):
        findings.extend(module.check(project))
    return findings
