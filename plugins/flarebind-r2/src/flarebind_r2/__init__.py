"""flarebind plugin for R2 buckets: declares the binding type and its adapters."""

from __future__ import annotations

from typing import Any

from flarebind.plugin import BindingType, Support, drop_none, hookimpl, require_field


def _bucket_resource(e: Any) -> str | None:
    bucket = e.get("preview_bucket_name") or e.get("bucket_name")
    return f"{bucket} ({e['jurisdiction']})" if bucket and e.get("jurisdiction") else bucket


# wrangler's R2 bucket name rule and message (`isValidR2BucketName`, `bucketFormatMessage`)
BUCKET_NAME = r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"
BUCKET_FORMAT_MESSAGE = (
    "Bucket names must begin and end with an alphanumeric character, only contain lowercase letters, numbers, "
    "and hyphens, and be between 3 and 63 characters long."
)


def bucket_name_rule(shown: str, field: str, value: str) -> str | None:
    """Wrangler's check and text, including the space it prints after ``=`` for the preview field. (A valid
    bucket name is also a safe folder name, so this replaces the generic check.)"""
    import json
    import re

    if re.match(BUCKET_NAME, value):
        return None
    eq = "= " if field == "preview_bucket_name" else "="
    return f"{shown}.{field}{eq}{json.dumps(value)} is invalid. {BUCKET_FORMAT_MESSAGE}"


def upload_metadata(name: str, spec: Any) -> dict[str, Any]:
    bucket = require_field(name, spec, "bucket_name")
    return drop_none(
        {"name": name, "type": "r2_bucket", "bucket_name": bucket, "jurisdiction": spec.get("jurisdiction")}
    )


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="r2_bucket",
            stub="flarebind_r2.binding:R2Bucket",  # what `flarebind types` gives env.NAME
            config_key="r2_buckets",
            friendly_name="R2 Bucket",
            support=Support.LOCAL_AND_REMOTE,
            fields={
                "binding": str,
                "bucket_name": str,
                "preview_bucket_name": str,
                "jurisdiction": str,
                "local_dev": dict,
            },
            required=("binding",),
            resource=_bucket_resource,
            preview_fields={"bucket_name": "preview_bucket_name"},
            resource_name_rule=bucket_name_rule,
            resource_fields=("bucket_name",),
            upload_metadata=upload_metadata,
            reads={"get", "head", "list"},
            runtime_option="r2_buckets",
        )
    )


@hookimpl
def register_adapters(register: Any) -> None:
    # factories are imported only when a binding is built, keeping `flarebind` start-up fast
    register.local("r2_bucket", "flarebind_r2.local:make_local")
    register.remote("r2_bucket", "flarebind_r2.remote:make_remote")


@hookimpl
def register_commands(cli: Any) -> None:
    # `flarebind r2 object …`; the command module loads only when an `r2` command runs
    cli.add_lazy_command(
        "r2", "flarebind_r2.cli:r2_group", help="Manage R2 objects (local state shared with `wrangler r2 … --local`)."
    )
