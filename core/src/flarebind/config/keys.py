"""wrangler's top-level config keys and how environments treat them (remote-bindings-upstream.md §2.1)."""

from __future__ import annotations

# Non-binding keys that environments inherit from the top level (env value wins).
INHERITABLE = frozenset(
    [
        "account_id",
        "compatibility_date",
        "compatibility_flags",
        "jsx_factory",
        "jsx_fragment",
        "tsconfig",
        "rules",
        "name",
        "main",
        "find_additional_modules",
        "preserve_file_names",
        "base_dir",
        "route",
        "routes",
        "triggers",
        "assets",
        "limits",
        "placement",
        "build",
        "workers_dev",
        "preview_urls",
        "migrations",
        "exports",
        "logfwdr",
        "no_bundle",
        "minify",
        "keep_names",
        "first_party_worker",
        "logpush",
        "upload_source_maps",
        "observability",
        "access",
        "cache",
        "compliance_region",
        "python_modules",
        "previews",
    ]
)

# Non-binding keys that must be repeated per environment (binding keys are declared by plugins).
NON_INHERITABLE = frozenset(
    [
        "vars",
        "secrets",
        "define",
        "durable_objects",
        "workflows",
        "kv_namespaces",
        "cloudchamber",
        "containers",
        "send_email",
        "queues",
        "connect",
        "r2_buckets",
        "d1_databases",
        "vectorize",
        "ai_search_namespaces",
        "ai_search",
        "websearch",
        "agent_memory",
        "hyperdrive",
        "services",
        "analytics_engine_datasets",
        "dispatch_namespaces",
        "mtls_certificates",
        "tail_consumers",
        "streaming_tail_consumers",
        "unsafe",
        "browser",
        "ai",
        "images",
        "stream",
        "media",
        "pipelines",
        "secrets_store_secrets",
        "artifacts",
        "unsafe_hello_world",
        "flagship",
        "worker_loaders",
        "ratelimits",
        "vpc_services",
        "vpc_networks",
        "version_metadata",
    ]
)

# Read only at the top level.
TOP_LEVEL_ONLY = frozenset(
    [
        "send_metrics",
        "keep_vars",
        "addresses",
        "dev",
        "site",
        "alias",
        "wasm_modules",
        "text_blobs",
        "data_blobs",
        "pages_build_output_dir",
        "dependencies_instrumentation",
        "env",
        "$schema",
        "legacy_env",
    ]
)

KNOWN = INHERITABLE | NON_INHERITABLE | TOP_LEVEL_ONLY
