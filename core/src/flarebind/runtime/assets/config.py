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


# wrangler 4.86's refusals for an assets-only Worker (no `main`), word for word (src/assets.ts)
BINDING_WITHOUT_MAIN = (
    "Cannot use assets with a binding in an assets-only Worker.\n"
    "Please remove the asset binding from your configuration file, or provide a Worker script in your configuration "
    "file (`main`)."
)
RUN_WORKER_FIRST_WITHOUT_MAIN = (
    "Cannot set run_worker_first without a Worker script.\n"
    "Please remove run_worker_first from your configuration file, or provide a Worker script in your configuration "
    "file (`main`)."
)


def assets_only_problems(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for what an ``assets`` block may not have when the Worker has no ``main``.

    ``run_worker_first = false`` is allowed (wrangler only refuses ``true`` or route patterns).
    """
    out = []
    if spec.get("binding"):
        out.append(("binding", BINDING_WITHOUT_MAIN))
    rwf = spec.get("run_worker_first")
    if rwf is True or isinstance(rwf, list):
        out.append(("run_worker_first", RUN_WORKER_FIRST_WITHOUT_MAIN))
    return out


def assets_only_note(config: Any) -> str | None:
    """The line ``check``, ``bindings`` and ``dev`` print for an assets-only Worker (None for any other Worker)."""
    spec = config.flat.get("assets")
    if config.main or not isinstance(spec, dict) or not isinstance(spec.get("directory"), str):
        return None
    return (
        f'Assets-only Worker (no "main"): every request is answered from the assets directory '
        f"{spec['directory']} (html_handling {spec.get('html_handling', 'auto-trailing-slash')}, "
        f"not_found_handling {spec.get('not_found_handling', 'none')})."
    )


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
    # False for an assets-only Worker (no `main`): every request is the asset server's (wrangler's has_user_worker)
    has_user_worker: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls,
        spec: dict[str, Any],
        base: Path,
        *,
        navigation_prefers_assets: bool = False,
        has_user_worker: bool = True,
    ) -> AssetsConfig:
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
        wrong = problems(spec) + ([] if has_user_worker else [text for _, text in assets_only_problems(spec)])
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
            has_user_worker=has_user_worker,
        )
