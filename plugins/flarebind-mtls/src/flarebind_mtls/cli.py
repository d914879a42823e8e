"""`flarebind mtls-certificate add-local / list --local`: the local certificates mTLS bindings present."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flarebind.plugin import config_options

from flarebind_mtls.errors import CertificateError
from flarebind_mtls.store import FOLDER, add_certificate, list_certificates


def _state_root(config: str | None, env: str | None, persist_to: str | None) -> Path:
    """``<state>/v3/mtls`` for the project's config (or ``--persist-to``, or ``./.wrangler/state``)."""
    from flarebind.plugin import LocalContext, load_project

    if config is not None or _has_config():
        project = load_project(config, env, persist_to, quiet=True)
        try:
            ctx = project.local_context()
            return Path(ctx.v3_dir(FOLDER))
        finally:
            project.close()
    ctx = LocalContext(persist_to=Path(persist_to).resolve() if persist_to else None, project_dir=Path.cwd())
    return Path(ctx.v3_dir(FOLDER))


def _has_config() -> bool:
    return any(Path(name).is_file() for name in ("wrangler.json", "wrangler.jsonc", "wrangler.toml"))


def _describe(cert_pem: bytes) -> dict[str, str]:
    """Issuer and expiry of the first certificate in a PEM chain (what wrangler prints)."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificates(cert_pem)[0]
    except ValueError as exc:
        raise CertificateError(f"--cert is not a PEM certificate ({exc})") from None
    return {
        "issuer": cert.issuer.rfc4514_string(),
        "expires_on": cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {what} {path}: {exc.strerror or exc}") from None


@click.group("mtls-certificate")
def mtls_group() -> None:
    """Manage client certificates for mTLS bindings (local certificates for flarebind dev)."""


@mtls_group.command("add-local")
@click.argument("certificate_id")
@click.option("--cert", "cert_path", required=True, help="The path to a certificate file (.pem) containing a chain.")
@click.option("--key", "key_path", required=True, help="The path to a file containing the private key (.pem).")
@click.option("--ca", "ca_path", help="Extra trust anchors (.pem) for local servers that use a private CA.")
@click.option("--name", default="", help="The name for the certificate.")
@config_options
def add_local(
    certificate_id: str,
    cert_path: str,
    key_path: str,
    ca_path: str | None,
    name: str,
    config: str | None,
    env: str | None,
    persist_to: str | None,
) -> None:
    """Store a certificate and key for CERTIFICATE_ID (the id in mtls_certificates) under .wrangler/ (mode 0600)."""
    cert_pem = _read(cert_path, "certificate")
    key_pem = _read(key_path, "private key")
    ca_pem = _read(ca_path, "CA bundle") if ca_path else None
    try:
        details = _describe(cert_pem)
        click.echo(f"Adding local mTLS Certificate {name or certificate_id}...")
        folder = add_certificate(_state_root(config, env, persist_to), certificate_id, cert_pem, key_pem, ca_pem, name)
    except CertificateError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Success! Added local mTLS Certificate {name or certificate_id}")
    click.echo(f"ID: {certificate_id}")
    click.echo(f"Issuer: {details['issuer']}")
    click.echo(f"Expires on {details['expires_on']}")
    click.echo(f"Stored in {folder}")


@mtls_group.command("list")
@click.option("--local", "local", is_flag=True, default=False, help="List the local certificates (required).")
@config_options
def list_local(local: bool, config: str | None, env: str | None, persist_to: str | None) -> None:
    """List the local certificates added with add-local."""
    if not local:
        raise click.UsageError(
            "flarebind lists only local certificates: pass --local. Certificates uploaded to Cloudflare are listed by "
            "`wrangler mtls-certificate list`."
        )
    certs: list[dict[str, Any]] = list_certificates(_state_root(config, env, persist_to))
    if not certs:
        click.echo("No local mTLS certificates. Add one with `flarebind mtls-certificate add-local ID --cert --key`.")
        return
    for cert in certs:
        details = _describe(Path(cert["cert_path"]).read_bytes())
        click.echo(f"ID: {cert['id']}")
        if cert["name"]:
            click.echo(f"Name: {cert['name']}")
        click.echo(f"Issuer: {details['issuer']}")
        click.echo(f"Created on: {cert['uploaded_on']}")
        click.echo(f"Expires on: {details['expires_on']}")
        if cert["has_ca"]:
            click.echo("Trusts: a local CA bundle")
        click.echo("")
