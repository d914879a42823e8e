"""Generate docs/plugin-api.md, the API reference of what plugins import and what hooks receive, from docstrings.

    python scripts/plugin_api_doc.py          # rewrite the page
    python scripts/plugin_api_doc.py --check  # exit 1 if the page is out of date (tests/test_docs.py does this)

Plain Markdown from ``inspect`` (no mkdocs needed to read it on GitHub or in an editor).
"""

from __future__ import annotations

import enum
import inspect
import sys
from pathlib import Path
from typing import Any

import attrs

PAGE = Path(__file__).resolve().parents[1] / "docs" / "plugin-api.md"

# (section title, [(name as imported, object path)]); every name of flarebind.plugin must appear once
SECTIONS: list[tuple[str, list[str]]] = [
    ("Hooks", ["hookimpl", "register_binding_types", "register_adapters", "validate_binding", "register_commands"]),
    (
        "Declaring a type",
        ["BindingType", "Support", "Shape", "UploadMetadata", "ReadPredicate", "Validate", "ResourceNameRule"],
    ),
    ("Registrars (what registration hooks receive)", ["BindingTypeRegistrar", "AdapterRegistrar"]),
    ("What validation receives", ["BindingEntry", "Report", "Diagnostic", "Config", "ConfigError"]),
    ("What adapters receive", ["LocalContext", "RemoteChannel", "default_state_dir"]),
    ("Upload metadata helpers", ["require_field", "drop_none", "passthrough_metadata"]),
    (
        "Values and errors",
        [
            "JsObject",
            "js_object",
            "JsException",
            "FlarebindError",
            "PluginError",
            "NotSimulatedError",
            "RemoteRequiredError",
            "RemoteSessionError",
            "JsResponse",
            "ReadableStream",
        ],
    ),
    ("Running Workers", ["Runtime", "fetcher_for", "service_fetcher"]),
    (
        "Storage helpers",
        [
            "connect",
            "ensure_metadata_db",
            "durable_object_file_name",
            "BlobStore",
            "FileBlobStore",
            "MemoryBlobStore",
            "BlobMissing",
            "new_blob_id",
            "confined",
            "UnsafeResourceName",
            "decode_list_cursor",
            "DatabaseThread",
            "is_busy",
            "retry_busy",
            "BUSY_TIMEOUT_S",
            "LOOP_BUDGET_S",
        ],
    ),
    (
        "Remote adapter helpers",
        [
            "RemoteBinding",
            "RemoteFetcher",
            "RemoteStream",
            "body_arg",
            "is_stream_source",
            "known_length",
            "options_args",
            "shape",
            "spool",
            "Pipeline",
            "StreamArg",
            "WireHeaders",
            "UNDEFINED",
            "RemoteFetcher",
        ],
    ),
    (
        "Cloudflare's REST API (for commands that manage resources with --remote)",
        ["Auth", "AuthError", "resolve_auth", "CloudflareAPI", "CloudflareAPIError", "parse_envelope"],
    ),
    ("Fetch types (for bindings that hand a Worker a stream or a Response)", ["ReadableStream", "JsResponse"]),
    (
        "CLI helpers",
        [
            "config_options",
            "mode_options",
            "resource_banner",
            "CommandError",
            "load_project",
            "Project",
            "ConfigProblem",
            "find_config",
            "local_context",
            "error",
            "warning",
            "info",
        ],
    ),
    ("Testing helpers", ["registered_plugin", "registered_plugins", "project_from_config", "write_project"]),
]


def _resolve(name: str) -> Any:
    import flarebind.plugin as api
    from flarebind import hookspecs

    if name.startswith("register_") or name == "validate_binding":
        return getattr(hookspecs, name)
    return getattr(api, name)


def _doc(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    if isinstance(obj, type) and doc == inspect.getdoc(object):
        return ""
    return doc


def _signature(name: str, obj: Any) -> str:
    try:
        return f"{name}{inspect.signature(obj)}"
    except (TypeError, ValueError):
        return name


def _where(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or type(obj).__module__
    return f"`{module}`"


def _attrs_fields(cls: type) -> list[str]:
    lines = []
    for field in attrs.fields(cls):
        if field.name.startswith("_"):
            continue
        default = "" if field.default is attrs.NOTHING else " (optional)"
        doc = _field_doc(cls, field.name)
        lines.append(f"- `{field.name}`{default}" + (f": {doc}" if doc else ""))
    return lines


def _field_doc(cls: type, name: str) -> str:
    # attribute docstrings: the string literal right after the field in the class body
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return ""
    import ast

    body = ast.parse(inspect.cleandoc("\n" + source) if source.startswith(" ") else source).body[0]
    stmts = getattr(body, "body", [])
    for index, stmt in enumerate(stmts):
        target = getattr(stmt, "target", None)
        if isinstance(target, ast.Name) and target.id == name and index + 1 < len(stmts):
            nxt = stmts[index + 1]
            if isinstance(nxt, ast.Expr) and isinstance(getattr(nxt, "value", None), ast.Constant):
                return " ".join(str(nxt.value.value).split())
    return ""


def _members(cls: type) -> list[str]:
    lines = []
    for member_name, member in sorted(vars(cls).items()):
        if member_name.startswith("_") and member_name != "__call__":
            continue
        if isinstance(member, property):
            doc = (inspect.getdoc(member) or "").split("\n\n")[0]
            lines.append(f"- `{member_name}` (property)" + (f": {' '.join(doc.split())}" if doc else ""))
        elif inspect.isfunction(member):
            doc = (inspect.getdoc(member) or "").split("\n\n")[0]
            sig = _signature(member_name, member).replace("(self, ", "(").replace("(self)", "()")
            lines.append(f"- `{sig}`" + (f": {' '.join(doc.split())}" if doc else ""))
    return lines


def render() -> str:
    import flarebind.plugin as api

    listed = [n for _, names in SECTIONS for n in names]
    missing = sorted(set(api.__all__) - set(listed))
    if missing:
        raise SystemExit(f"plugin_api_doc.py: add these flarebind.plugin names to a section: {missing}")
    out = [
        "# Plugin API reference",
        "",
        "Generated from docstrings by `scripts/plugin_api_doc.py` (`tests/test_docs.py` fails when it is out of date).",
        "Everything here is imported from `flarebind.plugin` (hooks: implemented with `@hookimpl`); the guide is",
        "[writing-a-plugin.md](writing-a-plugin.md).",
        "",
    ]
    for title, names in SECTIONS:
        out += [f"## {title}", ""]
        for name in names:
            obj = _resolve(name)
            if name == "hookimpl":
                out += [
                    "### `@hookimpl`",
                    "",
                    'The marker for hook implementations (pluggy\'s `HookimplMarker("flarebind")`): `@hookimpl`, or',
                    "`@hookimpl(wrapper=True)`, `@hookimpl(tryfirst=True)`… as pluggy documents.",
                    "",
                ]
                continue
            # (a generic alias such as Callable[...] passes isinstance(x, type) before Python 3.11: not a class)
            is_class = isinstance(obj, type) and not hasattr(obj, "__origin__")
            if is_class and issubclass(obj, enum.Enum):
                out += [f"### `{name}`", "", _doc(obj), ""]
                out += [f"- `{name}.{m.name}` = `{m.value!r}`" for m in obj] + [""]
                continue
            if is_class:
                out += [f"### `{name}`", "", f"class, defined in {_where(obj)}", ""]
                doc = _doc(obj)
                if doc:
                    out += [doc, ""]
                if attrs.has(obj):
                    fields = _attrs_fields(obj)
                    if fields:
                        out += ["Fields:", "", *fields, ""]
                members = _members(obj)
                if members:
                    out += ["Members:", "", *members, ""]
                continue
            if callable(obj) and not getattr(obj, "__origin__", None) and inspect.isroutine(obj):
                out += [f"### `{_signature(name, obj)}`", "", _doc(obj) or "(no docstring)", ""]
                continue
            out += [f"### `{name}`", "", f"`{obj!r}`" if not hasattr(obj, "__origin__") else f"`{obj}`", ""]
            doc = _doc(obj) if not hasattr(obj, "__origin__") else ""
            if doc and doc != _doc(type(obj)):
                out += [doc, ""]
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE} is out of date: run python scripts/plugin_api_doc.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
