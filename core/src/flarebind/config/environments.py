"""Selecting an ``[env.NAME]`` section with wrangler's inheritance rules and exact warning texts."""

from __future__ import annotations

from typing import Any

from flarebind.config.diagnostics import Report
from flarebind.config.diagnostics import compact_json as _json
from flarebind.config.keys import INHERITABLE, KNOWN, NON_INHERITABLE, TOP_LEVEL_ONLY


def _ext(report: Report) -> str:
    return report.file.suffix.lstrip(".") if report.file else "toml"


def select_environment(raw: dict[str, Any], env: str | None, report: Report) -> dict[str, Any]:
    """Return the flattened config for ``env`` (or the top level), reporting what wrangler reports."""
    if raw.get("legacy_env") is not None:
        report.error(
            'The "legacy_env" field is no longer supported, so please remove it from your configuration file.',
            at="legacy_env",
        )
    envs = raw.get("env")
    if envs is not None and not isinstance(envs, dict):
        report.error('Expected "env" to be of type object but got ' + _json(envs) + ".", at="env")
        envs = None
    envs = envs or {}
    if not env:
        return {k: v for k, v in raw.items() if k != "env"}

    section = envs.get(env)
    name_known = section is not None
    if not name_known:
        lines = [
            f'No environment found in configuration with name "{env}".',
            f"Before using `--env={env}` there should be an equivalent environment section in the configuration.",
        ]
        if envs:
            names = ", ".join(f'"{n}"' for n in envs)
            lines.append(f"The available configured environment names are: [{names}]")
        lines += [
            "",
            f"Consider adding an environment configuration section to the wrangler.{_ext(report)} file:",
            "```",
            f"[env.{env}]",
            "```",
        ]
        message = "\n".join(lines)
        if envs:
            report.error(message, at="env")
            return {k: v for k, v in raw.items() if k != "env"}
        report.warning(message)
        # no environments at all: wrangler reuses the whole top level (bindings included), name still suffixed
        flat = {k: v for k, v in raw.items() if k != "env"}
        if raw.get("name"):
            flat["name"] = f"{raw['name']}-{env}"
        return flat
    if not isinstance(section, dict):
        report.error(f'Expected "env.{env}" to be of type object but got {_json(section)}.', at=f"env.{env}")
        section = {}

    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "env":
            continue
        if key in INHERITABLE or key in TOP_LEVEL_ONLY:
            flat[key] = value
    for key, value in section.items():
        if key in TOP_LEVEL_ONLY:
            continue  # wrangler never reads these from an environment (reported as unexpected below)
        flat[key] = value
    if name_known:
        for key in raw:
            if key in NON_INHERITABLE and key not in section:
                report.warning(
                    f'"{key}" exists at the top level, but not on "env.{env}".\n'
                    f'This is not what you probably want, since "{key}" is not inherited by environments.\n'
                    f'Please add "{key}" to "env.{env}".',
                    at=f"env.{env}",
                    env=env,
                )
        unexpected = [k for k in section if k not in KNOWN or k in TOP_LEVEL_ONLY]
        if unexpected:
            report.warning(
                f"Unexpected fields found in env.{env} field: " + ",".join(f'"{k}"' for k in unexpected),
                at=f"env.{env}.{unexpected[0]}",
                env=env,
            )
    if "name" not in section and raw.get("name"):
        # wrangler deploys each environment as its own Worker, <top-level name>-<env>
        flat["name"] = f"{raw['name']}-{env}"
    return flat
