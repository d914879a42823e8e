"""The ``remote`` rules, derived from each type's support class, with wrangler's exact texts (§1.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flarebind.bindings.types import BindingType, Support

if TYPE_CHECKING:  # bindings sit below config: names only, for annotations
    from flarebind.config.diagnostics import Report
    from flarebind.config.model import BindingEntry

REMOTE_TRUE_HINT = (
    "You can set `remote: true` for the binding definition in your configuration file to access a remote version "
    "of the resource."
)


def not_local_error(friendly: str) -> str:
    return f"{friendly} bindings do not support local development. {REMOTE_TRUE_HINT}"


def not_local_warning(friendly: str) -> str:
    return (
        f"{friendly} bindings do not support local development, and so parts of your Worker may not work "
        f"correctly. {REMOTE_TRUE_HINT}"
    )


def always_remote_warning(friendly: str) -> str:
    return (
        f"{friendly} bindings always access remote resources, and so may incur usage charges even in local dev. "
        "To suppress this warning, set `remote: true` for the binding definition in your configuration file."
    )


def simulator_note(friendly: str, name: str, simulator: str) -> str:
    return (
        f'{friendly} binding "{name}" runs on a local simulator ({simulator}) that Cloudflare does not ship; set '
        "`remote = true` on it to use the real resource."
    )


def local_only_error(friendly: str) -> str:
    return f"{friendly} bindings do not support accessing remote resources."


def check_remote(binding: BindingEntry, report: Report) -> None:
    bt: BindingType = binding.type
    remote = binding.remote
    friendly = bt.friendly_name
    at = f"{binding.path}.remote" if "remote" in binding.entry else binding.path
    if bt.support is Support.LOCAL_ONLY:
        # wrangler only warns "Unexpected fields … remote" here and then still starts a remote session;
        # Cloudflare's docs promise an error, which is what we give
        if remote is True:
            report.error(local_only_error(friendly), at=at, env=binding.env)
    elif bt.support in (Support.REMOTE, Support.ALWAYS_REMOTE):
        if remote is False:
            report.error(not_local_error(friendly), at=at, env=binding.env)
        elif remote is None and bt.support is Support.REMOTE and bt.simulator:
            # the plugin ships its own simulator: say what runs instead of wrangler's "not supported" warning
            report.warning(simulator_note(friendly, binding.name, bt.simulator), at=at, env=binding.env)
        elif remote is None:
            text = not_local_warning(friendly) if bt.support is Support.REMOTE else always_remote_warning(friendly)
            report.warning(text, at=at, env=binding.env)


def is_remote(bt: BindingType, spec_remote: object, local: bool = False) -> bool:
    """Whether a binding is routed to the remote session (pickRemoteBindings + ``--local``)."""
    if local:
        return False
    if bt.support is Support.LOCAL_ONLY:
        return False
    if bt.support is Support.ALWAYS_REMOTE:
        return spec_remote is not False
    return spec_remote is True


def table_mode(bt: BindingType, spec_remote: object, local: bool = False) -> str:
    """The Mode column: ``local`` / ``remote`` / ``not supported``; ``local (<simulator>)`` for a binding that runs
    on a simulator its plugin declares (``BindingType.simulator``)."""
    if bt.type == "logfwdr":
        return "not supported"
    if is_remote(bt, spec_remote, local):
        return "remote"
    if bt.simulator:
        return f"local ({bt.simulator})"
    if bt.support in (Support.REMOTE, Support.ALWAYS_REMOTE):
        return "not supported"
    return "local"
