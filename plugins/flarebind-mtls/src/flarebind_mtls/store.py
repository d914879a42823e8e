"""Local mTLS certificates: the PEM files ``flarebind mtls-certificate add-local`` stores for a certificate id.

Layout under the state folder (``.wrangler/state`` by default)::

    v3/mtls/<certificate_id>/cert.pem   the client certificate chain (mode 0600)
    v3/mtls/<certificate_id>/key.pem    its private key (mode 0600; never printed or logged)
    v3/mtls/<certificate_id>/ca.pem     optional extra trust anchors for local servers with private CAs (0600)
    v3/mtls/<certificate_id>/meta.json  name and upload time, for `list --local`

The folder is 0700 and files are written to a temporary name (created 0600, so the key is never readable by
others even for an instant) and renamed into place.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import time
from pathlib import Path
from typing import Any

from flarebind_mtls.errors import CertificateError

FOLDER = "mtls"
# Cloudflare's ids are UUIDs (hex and dashes); we accept a little more for local names, never a path
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def check_certificate_id(certificate_id: str) -> str:
    """The id, if it is safe as one folder name under the state folder; else a clear error."""
    if not isinstance(certificate_id, str) or not _ID.fullmatch(certificate_id) or ".." in certificate_id:
        raise CertificateError(
            f'"{certificate_id}" is not a valid certificate_id: use letters, digits, "-", "_" and "." '
            "(at most 128, starting with a letter or digit), e.g. the id `wrangler mtls-certificate upload` printed."
        )
    return certificate_id


def certificate_dir(root: Path, certificate_id: str) -> Path:
    """``<root>/<certificate_id>`` where root is ``<state>/v3/mtls``."""
    return root / check_certificate_id(certificate_id)


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)  # in case the file existed with wider bits
    os.replace(tmp, path)


def check_pair(cert_pem: bytes, key_pem: bytes) -> None:
    """Refuse a certificate and key that Python's TLS cannot use together (wrong key, not PEM, encrypted key)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="flarebind-mtls-") as tmp:
        os.chmod(tmp, 0o700)
        cert_path, key_path = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        _write_private(cert_path, cert_pem)
        _write_private(key_path, key_pem)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            ctx.load_cert_chain(cert_path, key_path, password=lambda: b"")
        except ssl.SSLError as exc:
            # the OpenSSL reason only: it never contains key material
            raise CertificateError(
                f"the certificate and private key cannot be used together ({exc.reason or exc.__class__.__name__}); "
                "pass the PEM certificate chain with --cert and its unencrypted PEM private key with --key"
            ) from None


def add_certificate(
    root: Path, certificate_id: str, cert_pem: bytes, key_pem: bytes, ca_pem: bytes | None = None, name: str = ""
) -> Path:
    """Store a certificate (and key, and optional CA) for ``certificate_id``; replaces an earlier one."""
    folder = certificate_dir(root, certificate_id)
    check_pair(cert_pem, key_pem)
    if ca_pem is not None:
        try:
            ssl.create_default_context(cadata=ca_pem.decode("ascii"))
        except (ssl.SSLError, UnicodeDecodeError, ValueError) as exc:
            raise CertificateError(f"--ca is not a PEM certificate bundle ({exc})") from None
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    _write_private(folder / "cert.pem", cert_pem)
    _write_private(folder / "key.pem", key_pem)
    if ca_pem is not None:
        _write_private(folder / "ca.pem", ca_pem)
    else:
        (folder / "ca.pem").unlink(missing_ok=True)
    meta = {"name": name, "uploaded_on": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    _write_private(folder / "meta.json", json.dumps(meta).encode())
    return folder


def list_certificates(root: Path) -> list[dict[str, Any]]:
    """``[{id, name, uploaded_on, cert_path, has_ca}]`` for every stored certificate, by id."""
    out: list[dict[str, Any]] = []
    if not root.is_dir():
        return out
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or not _ID.fullmatch(folder.name) or not (folder / "cert.pem").is_file():
            continue
        try:
            meta = json.loads((folder / "meta.json").read_text())
        except (OSError, ValueError):
            meta = {}
        out.append(
            {
                "id": folder.name,
                "name": meta.get("name", ""),
                "uploaded_on": meta.get("uploaded_on", ""),
                "cert_path": folder / "cert.pem",
                "has_ca": (folder / "ca.pem").is_file(),
            }
        )
    return out


def ssl_context(folder: Path) -> ssl.SSLContext:
    """A client TLS context presenting the stored certificate, trusting the system roots plus the stored CA."""
    ctx = ssl.create_default_context()
    ca = folder / "ca.pem"
    if ca.is_file():
        ctx.load_verify_locations(cafile=str(ca))
    try:
        ctx.load_cert_chain(folder / "cert.pem", folder / "key.pem", password=lambda: b"")
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "reason", None) or exc.__class__.__name__
        raise CertificateError(
            f"the local certificate in {folder} cannot be loaded ({reason}); add it again with "
            f"`flarebind mtls-certificate add-local {folder.name} --cert CERT.pem --key KEY.pem`"
        ) from None
    return ctx
