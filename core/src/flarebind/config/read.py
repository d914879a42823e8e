"""``read_config``: locate, parse, select the environment, collect bindings, validate; all problems at once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flarebind.bindings.types import Support
from flarebind.config.diagnostics import ConfigError, Diagnostic, Report
from flarebind.config.diagnostics import compact_json as _json
from flarebind.config.keys import KNOWN
from flarebind.config.locate import CONFIG_NAMES, find_config_path
from flarebind.config.model import BindingEntry, Config, WorkerSettings
from flarebind.config.source import load_source


def resolve_env(env: str | None) -> str | None:
    """``--env`` wins, else ``CLOUDFLARE_ENV`` (as wrangler)."""
    return env or os.environ.get("CLOUDFLARE_ENV") or None


def load_config(
    path: str | Path | None = None,
    env: str | None = None,
    *,
    start: str | Path | None = None,
    plugins: Any = None,
) -> tuple[Config | None, list[Diagnostic]]:
    """Read a config without raising for its problems: returns the config (None when unusable) and diagnostics."""
    from flarebind.plugins import get_plugins

    plugins = plugins or get_plugins()
    env = resolve_env(env)
    found = find_config_path(path, start)
    if found is None or not found.is_file():
        where = Path(start or Path.cwd()).resolve()
        if path is not None:
            message = (
                f"The config file {path} does not exist (or is not a wrangler.json, wrangler.jsonc or wrangler.toml)."
            )
        else:
            names = ", ".join(CONFIG_NAMES[:-1]) + f" or {CONFIG_NAMES[-1]}"
            message = f"No {names} was found in {where} or any parent directory."
        return None, [Diagnostic("error", message, Path(path) if path else None)]
    try:
        source = load_source(found)
    except ConfigError as exc:
        return None, exc.diagnostics

    raw = source.data
    report = Report(file=found, positions=source.positions)
    registry = plugins.registry
    binding_heads = plugins.known_keys()  # declared, or attributed to a missing / failed plugin

    unknown = [k for k in raw if k not in KNOWN and k not in binding_heads]
    if unknown:
        report.warning(
            "Unexpected fields found in top-level field: " + ",".join(f'"{k}"' for k in unknown), at=unknown[0]
        )
    _missing_plugins(raw, plugins, report, None)

    from flarebind.config.environments import select_environment

    flat = select_environment(raw, env, report)
    # an environment section that is not a table (null, a string) is reported by select_environment
    env_known = bool(env) and isinstance(raw.get("env"), dict) and isinstance(raw["env"].get(env), dict)
    origin = {k: (f"env.{env}.{k}" if env_known and k in raw["env"][env] else k) for k in flat}
    if env_known:
        _missing_plugins(raw["env"][env], plugins, report, env)

    settings = _settings(flat, origin, report)
    _check_assets(flat, origin, settings, report)

    from flarebind.config.entries import collect_entries

    bindings = collect_entries(flat, origin, registry, report, env if env_known else None)

    from flarebind.config.devvars import load_dev_vars

    try:
        dev_vars, dev_files = load_dev_vars(found.parent, env)
    except ConfigError as exc:  # an unreadable .dev.vars: reported with the config's own problems
        report.diagnostics.extend(exc.diagnostics)
        dev_vars, dev_files = {}, []
    _add_secrets(flat, dev_vars, bindings, registry, report)

    from flarebind.bindings.guard import production_conflicts
    from flarebind.bindings.rules import check_remote, is_remote

    for binding in bindings:
        errors_before = len(report.errors)
        check_remote(binding, report)
        plugins.validate_binding(binding, report)
        reported = len(report.errors) > errors_before  # one problem per binding: its error says enough
        local = not reported and not is_remote(binding.type, binding.remote)
        if local and not registry.has_adapter("local", binding.type.type):
            _warn_not_simulated(binding, report)
    # file order reads best when everything is shown at once
    report.diagnostics.sort(key=lambda d: (d.line is None, d.line or 0, d.col or 0))
    guard = Report(file=found, positions=source.positions)
    production_conflicts(raw, env, bindings, registry, guard)

    config = Config(
        path=found,
        format=source.format,
        env_name=env,
        settings=settings,
        bindings=bindings,
        raw=raw,
        flat=flat,
        dev_vars=dev_vars,
        dev_vars_files=dev_files,
        diagnostics=report.diagnostics,
        production_conflicts=guard.diagnostics,
    )
    return config, report.diagnostics


def read_config(
    path: str | Path | None = None, env: str | None = None, *, start: str | Path | None = None, plugins: Any = None
) -> Config:
    """Read ``wrangler.json`` / ``.jsonc`` / ``.toml`` for ``env`` (default ``CLOUDFLARE_ENV``).

    Raises :class:`ConfigError` with every diagnostic when there is any error; warnings are in
    ``config.diagnostics``.
    """
    config, diagnostics = load_config(path, env, start=start, plugins=plugins)
    if config is None or any(d.is_error for d in diagnostics):
        raise ConfigError(diagnostics, config.path if config else None)
    return config


def _missing_plugins(section: dict[str, Any], plugins: Any, report: Report, env: str | None) -> None:
    # a key whose plugin is missing, failed or disabled: the Worker would silently lack the binding, so an error
    if not isinstance(section, dict):
        return  # a malformed environment is reported where environments are selected
    for key in section:
        problem = plugins.key_problem(key)
        if problem:
            report.error(problem, at=f"env.{env}.{key}" if env else key, env=env)


def _warn_not_simulated(binding: BindingEntry, report: Report) -> None:
    """Decided from the registry alone (no local adapter registered), so a plugin that adds one silences it."""
    bt = binding.type
    if bt.support is Support.ALWAYS_REMOTE or bt.support is Support.REMOTE:
        return  # these have their own "needs remote" rule (check_remote)
    hint = (
        "Set `remote = true` on it to use the real resource, or install a plugin that simulates it."
        if bt.accepts_remote
        else "Install a plugin that simulates it to use it locally."
    )
    report.warning(
        f'{bt.friendly_name} binding "{binding.name}" is not simulated locally: no installed plugin simulates '
        f"{bt.friendly_name} bindings, so env.{binding.name} raises an error when the Worker uses it. {hint}",
        at=binding.path,
        env=binding.env,
    )


def _check_assets(flat: dict[str, Any], origin: dict[str, str], settings: WorkerSettings, report: Report) -> None:
    """The ``assets`` block's rules that are not one binding's: an assets block without ``binding`` is no binding
    entry (its routing fields are checked here), and without ``main`` it is an assets-only Worker, which wrangler
    refuses a ``binding`` or ``run_worker_first`` (true or patterns)."""
    spec = flat.get("assets")
    if not isinstance(spec, dict):
        return
    from flarebind.runtime.assets.config import assets_only_problems, problems

    at = origin.get("assets", "assets")
    if not isinstance(spec.get("binding"), str):  # with a binding, the binding's own validation reports these
        for problem in problems(spec):
            report.error(problem, at=at)
    if not settings.main:
        for key, problem in assets_only_problems(spec):
            report.error(problem, at=f"{at}.{key}")


_SETTING_TYPES = {"name": str, "main": str, "compatibility_date": str, "account_id": str}


def _settings(flat: dict[str, Any], origin: dict[str, str], report: Report) -> WorkerSettings:
    values: dict[str, Any] = {}
    for field, expected in _SETTING_TYPES.items():
        if field in flat:
            value = flat[field]
            if not isinstance(value, expected):
                report.error(f'Expected "{field}" to be of type string but got {_json(value)}.', at=origin.get(field))
                continue
            values[field] = value
    flags = flat.get("compatibility_flags")
    if flags is not None:
        if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
            report.error(
                f'Expected "compatibility_flags" to be of type string array but got {_json(flags)}.',
                at=origin.get("compatibility_flags"),
            )
        else:
            values["compatibility_flags"] = list(flags)
    date = values.get("compatibility_date")
    if date is not None and not _valid_date(date):
        report.error(
            f'"compatibility_date" field should be a valid ISO-8601 date (YYYY-MM-DD), but got "{date}".',
            at=origin.get("compatibility_date"),
        )
    # every value was type-checked above (each mismatch is a diagnostic, all reported at once), so building the
    # model directly is what structuring with cattrs would do, without its ~40 ms import on every `flarebind dev`
    return WorkerSettings(**values)


def _valid_date(value: str) -> bool:
    import datetime

    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _add_secrets(
    flat: dict[str, Any], dev_vars: dict[str, str], bindings: list[BindingEntry], registry: Any, report: Report
) -> None:
    """Dev vars become secret bindings (overriding a var of the same name, as in wrangler)."""
    secret_type = registry.get_type("secret_text")
    if secret_type is None:
        return
    required = None
    secrets = flat.get("secrets")
    if isinstance(secrets, dict) and isinstance(secrets.get("required"), list):
        required = [r for r in secrets["required"] if isinstance(r, str)]
    names = list(dev_vars) if required is None else [n for n in required if n in dev_vars]
    if required is not None:
        for missing in (n for n in required if n not in dev_vars):
            report.warning(
                f'Secret "{missing}" is listed in "secrets.required" but has no value in .dev.vars or .env; '
                "the Worker will not see it locally.",
                at="secrets.required",
            )
    bindings[:] = [b for b in bindings if not (b.type.config_key == "vars" and b.name in names)]
    for name in names:
        bindings.append(BindingEntry(type=secret_type, name=name, entry={"value": dev_vars[name]}, path="secrets"))
