"""What a binding type is: the declaration a plugin registers."""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from flarebind.config.diagnostics import Report
    from flarebind.config.model import BindingEntry


class Support(str, enum.Enum):
    """How a binding type may run in local development; the single source for validation, mode and the table.

    Values match the names wrangler's binding registry uses for the same classes.
    """

    LOCAL_ONLY = "local-only"
    """A simulator only; ``remote = true`` is an error."""
    LOCAL_AND_REMOTE = "local-and-remote"
    """A local simulator by default; ``remote = true`` proxies to the real resource."""
    REMOTE = "remote"
    """No faithful simulator: needs ``remote = true``; warns when omitted, errors on ``remote = false``."""
    ALWAYS_REMOTE = "always-remote"
    """Routed remotely even without the key; warns unless ``remote = true``; errors on ``remote = false``."""


class Shape(str, enum.Enum):
    """How entries of a config key are written."""

    ARRAY = "array"  # [[kv_namespaces]] — a list of tables, one binding each
    OBJECT = "object"  # [ai] — one table, one binding
    MAP = "map"  # [vars] — name -> value, one binding per key


def get_dotted(data: Mapping[str, Any], key: str) -> Any:
    """The value at a dotted config key (``queues.producers``) in ``data``; ``None`` when absent."""
    value: Any = data
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _no_resource(entry: Any) -> str | None:
    return None


UploadMetadata = Callable[[str, Mapping[str, Any]], dict[str, Any]]
"""``(binding name, start-worker spec) -> Cloudflare upload-metadata binding`` (``{"name", "type", …}``)."""
ReadPredicate = Callable[[Mapping[str, Any]], bool]
"""``(one protocol op: {"call": "get", "args": [...]}) -> True when it only reads``."""
ResourceNameRule = Callable[[str, str, str], "str | None"]
"""``(shown, field, value) -> message or None``: ``shown`` is how the entry is named in messages (``r2_buckets[0]``)."""

Validate = Callable[["BindingEntry", "Report"], None]
"""``(binding, report) -> None``: add diagnostics with ``report.error(...)`` / ``report.warning(...)``."""


@attrs.frozen(kw_only=True)
class BindingType:
    """A binding type declared by a plugin.

    :param type: wrangler's internal type name (``kv_namespace``), used in start-worker binding specs.
    :param config_key: the key in ``wrangler.toml`` (``kv_namespaces``); dotted for nested keys
        (``durable_objects.bindings``, ``queues.producers``).
    :param friendly_name: the name wrangler prints (``KV Namespace``); used in messages and the table.
    :param support: the :class:`Support` class.
    :param shape: how the config key is written.
    :param fields: the known fields of one entry, with the Python types accepted (``{"id": str}``). Unknown fields
        give wrangler's "Unexpected fields" warning. ``remote`` is implied for types that accept it.
    :param required: fields that must be present.
    :param name_field: the field holding the binding name (``binding``; ``name`` for Durable Objects, …).
    :param resource: returns the value shown in the table's ``env.NAME (value)`` cell for one entry (a dict).
    :param preview_fields: dev substitutions, e.g. ``{"id": "preview_id"}``: in dev the preview resource is used.
    :param resource_fields: fields that identify the real resource (for the production guard).
    :param inheritable: the key is inherited by ``[env.*]`` sections (only a few binding-ish keys are).
    :param top_level_only: the key is never read from an environment (``wasm_modules`` …).
    """

    type: str
    config_key: str
    friendly_name: str
    support: Support
    shape: Shape = Shape.ARRAY
    fields: Mapping[str, Any] = attrs.field(factory=dict)
    required: tuple[str, ...] = ()
    name_field: str = "binding"
    resource: Callable[[Mapping[str, Any]], str | None] = _no_resource
    preview_fields: Mapping[str, str] = attrs.field(factory=dict)
    resource_fields: tuple[str, ...] = ()
    inheritable: bool = False
    top_level_only: bool = False
    also_types: tuple[str, ...] = ()
    """Other internal types this declaration produces (``vars`` gives ``plain_text`` and ``json``)."""
    simulator: str | None = None
    """The honest local simulator a plugin ships where Cloudflare ships none (``"exact kNN index (numpy)"``);
    the bindings table and ``check`` name it for bindings that run locally."""
    validate: Validate | None = None
    """Extra checks for one configured binding of this type (called only for this type's bindings, after the
    field checks). An exception it raises is reported on that binding, naming the plugin; other bindings are
    unaffected."""
    upload_metadata: UploadMetadata | None = None
    """Builds the binding Cloudflare's upload metadata expects when a remote session uploads the proxy worker.
    ``None``: the generic pass-through (``{"name", "type", **fields}``, which fits types whose Cloudflare field
    names equal their config field names). Raise :class:`flarebind.plugin.RemoteSessionError` for a spec that
    cannot be uploaded (a missing id …); :func:`flarebind.plugin.require_field` gives wrangler's wording."""
    reads: Collection[str] | ReadPredicate = ()
    """The remote operations that only read, so the session relay may send them again when the upstream was
    swapped mid-call: method names (``{"get", "list"}``), or a predicate over one protocol op for rules that
    depend on arguments (D1: ``prepare`` of a ``SELECT``; a predicate sees every op, property gets included).
    With names, property gets (``{"get": "name"}``) and ``ref`` steps count as reads. Anything else is never
    replayed once it may have reached the Worker."""
    runtime_option: str | None = None
    """The :class:`flarebind.Runtime` keyword that takes bindings of this type (``kv_namespaces=``), Miniflare's
    name for it. Values are ``{NAME: {fields…}}``, ``{NAME: "resource"}`` or ``[NAME, …]``; a bare resource fills
    ``runtime_field``."""
    runtime_field: str | None = None
    """The field a bare resource given to :attr:`runtime_option` fills (and the alias ``"id"`` maps to); default:
    the first of :attr:`resource_fields`."""
    resource_name_rule: ResourceNameRule | None = None
    """The type's own rule for its resource names (R2's bucket-name rule), replacing the generic one-plain-folder-name
    check: ``rule(shown, field, value)`` returns the whole error message for an unusable name, else ``None``. The
    name is still refused again where a simulator builds a path from it (``flarebind.plugin.confined``)."""
    path_fields: tuple[str, ...] = ()
    """Fields holding a file or directory path. Relative paths are resolved against the config file's directory
    (the binding spec carries the absolute path), a path that does not exist is an error at the field, and
    ``flarebind dev`` watches the file: an edit rebuilds the binding."""

    stub: str | None = None
    """``"module:Class"``: the class a Worker sees for one binding of this type
    (``"flarebind_kv.binding:KVNamespace"``), fully annotated in a package that ships ``py.typed``.
    ``flarebind types`` types ``env.NAME`` with it; ``None``: ``Any``. flarebind never imports the module, it
    only names it in the generated stub."""

    @property
    def accepts_remote(self) -> bool:
        return self.support is not Support.LOCAL_ONLY

    def is_read(self, op: Mapping[str, Any]) -> bool:
        """Whether one protocol op only reads (see :attr:`reads`)."""
        if callable(self.reads):
            return bool(self.reads(op))
        if op.get("call") is None:
            return "ref" in op or "get" in op
        return op.get("call") in self.reads

    @property
    def option_field(self) -> str:
        """The field a bare resource given to :attr:`runtime_option` fills."""
        return self.runtime_field or (self.resource_fields[0] if self.resource_fields else "id")
