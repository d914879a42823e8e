"""The ``assets`` block, validated: bad values are errors naming the field and the accepted values."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HTML_HANDLING = ("auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none")
NOT_FOUND_HANDLING = ("single-page-application", "404-page", "none")


class AssetsConfigError(ValueError):
    """A wrong ``assets`` setting (the message says which field and what is accepted)."""


def _one_of(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        choices = ",".join(f'"{a}"' for a in allowed)
        raise AssetsConfigError(f'Expected "assets.{name}" field to be one of [{choices}] but got {value!r}.')
    return str(value)


def problems(spec: dict[str, Any]) -> list[str]:
    """What is wrong with the routing fields of an ``assets`` block (config-time check; empty when fine)."""
    out = []
    for name, allowed in (("html_handling", HTML_HANDLING), ("not_found_handling", NOT_FOUND_HANDLING)):
        if name in spec:
            try:
                _one_of(name, spec[name], allowed)
            except AssetsConfigError as exc:
                out.append(str(exc))
    rwf = spec.get("run_worker_first", False)
    if isinstance(rwf, list):
        out += [
            f'Invalid "assets.run_worker_first" rule {rule!r}: rules must start with "/" or "!/".'
            for rule in rwf
            if not isinstance(rule, str) or not (rule.startswith("/") or rule.startswith("!/"))
        ]
    elif not isinstance(rwf, bool):
        out.append(f'Expected "assets.run_worker_first" to be a boolean or an array of route patterns but got {rwf!r}.')
    return out


@dataclass(frozen=True)
class AssetsConfig:
    directory: Path
    binding: str | None = None
    html_handling: str = "auto-trailing-slash"
    not_found_handling: str = "none"
    # True: every request reaches the Worker first; a list: route patterns ("/api/*", "!/api/docs/*")
    run_worker_first: bool | tuple[str, ...] = False
    # compat flag assets_navigation_prefers_asset_serving (default on from 2025-04-01)
    navigation_prefers_assets: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: dict[str, Any], base: Path, *, navigation_prefers_assets: bool = False) -> AssetsConfig:
        directory = spec.get("directory")
        if not isinstance(directory, str) or not directory:
            raise AssetsConfigError(
                'The "assets" block needs a "directory": the folder of static files to serve, e.g. '
                'assets = { directory = "./public" }.'
            )
        path = (base / directory).resolve()
        if not path.is_dir():
            raise AssetsConfigError(
                f'The directory specified by the "assets.directory" field in your configuration file does not '
                f"exist:\n{path}"
            )
        wrong = problems(spec)
        if wrong:
            raise AssetsConfigError(wrong[0])
        rwf = spec.get("run_worker_first", False)
        rwf = tuple(rwf) if isinstance(rwf, list) else rwf
        return cls(
            directory=path,
            binding=spec.get("binding"),
            html_handling=spec.get("html_handling", "auto-trailing-slash"),
            not_found_handling=spec.get("not_found_handling", "none"),
            run_worker_first=rwf,
            navigation_prefers_assets=navigation_prefers_assets,
        )
