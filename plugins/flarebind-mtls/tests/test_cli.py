"""``flarebind mtls-certificate add-local / list --local`` as real processes, and a project using the certificate."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from flarebind_mtls.testing import Pems

FLAREBIND = str(Path(sys.executable).with_name("flarebind"))
CERT_ID = "0b5b3e4e-9d1b-4a55-8f7e-6f8e1c2d3a4b"


def fb(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    return subprocess.run([FLAREBIND, "mtls-certificate", *args], cwd=cwd, env=env, capture_output=True, text=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "wrangler.toml").write_text(
        'name = "mtls"\ncompatibility_date = "2026-05-01"\n\n'
        f'[[mtls_certificates]]\nbinding = "CERT"\ncertificate_id = "{CERT_ID}"\n'
    )
    return root


def test_add_local_then_list(project: Path, pems: Pems) -> None:
    added = fb(
        project, "add-local", CERT_ID, "--cert", str(pems.client_cert), "--key", str(pems.client_key),
        "--ca", str(pems.ca), "--name", "my-client",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "Success! Added local mTLS Certificate my-client" in added.stdout
    assert f"ID: {CERT_ID}" in added.stdout
    assert "Issuer: OU=Testing CA #" in added.stdout and ",O=flarebind test CA\n" in added.stdout
    folder = project / ".wrangler" / "state" / "v3" / "mtls" / CERT_ID
    assert stat.S_IMODE(os.stat(folder / "key.pem").st_mode) == 0o600
    assert (folder / "key.pem").read_bytes() == pems.client_key.read_bytes()
    key_line = pems.client_key.read_text().splitlines()[1]
    assert key_line not in added.stdout + added.stderr

    listed = fb(project, "list", "--local")
    assert listed.returncode == 0, listed.stderr
    assert f"ID: {CERT_ID}\nName: my-client\nIssuer: OU=Testing CA #" in listed.stdout
    assert "Expires on: " in listed.stdout and "Trusts: a local CA bundle" in listed.stdout
    assert key_line not in listed.stdout + listed.stderr

    no_flag = fb(project, "list")
    assert no_flag.returncode == 2 and "pass --local" in no_flag.stderr


def test_add_local_refuses_bad_input(project: Path, pems: Pems) -> None:
    mismatched = fb(project, "add-local", CERT_ID, "--cert", str(pems.client_cert), "--key", str(pems.other_key))
    assert mismatched.returncode == 1 and "cannot be used together" in mismatched.stderr
    escaping = fb(project, "add-local", "../../x", "--cert", str(pems.client_cert), "--key", str(pems.client_key))
    assert escaping.returncode == 1 and "is not a valid certificate_id" in escaping.stderr
    assert not (project / ".wrangler" / "state" / "v3" / "mtls").exists() or not any(
        (project / ".wrangler" / "state" / "v3" / "mtls").iterdir()
    )
    assert not (project / ".wrangler" / "x").exists()
    empty = fb(project, "list", "--local")
    assert empty.returncode == 0 and "No local mTLS certificates" in empty.stdout


async def test_a_project_binding_without_remote_runs_locally(project: Path, pems: Pems, server: str) -> None:
    from flarebind import platform_proxy
    from flarebind.bindings.rules import table_mode
    from flarebind.plugins import get_plugins

    bt = get_plugins().registry.get_type("mtls_certificate")
    assert table_mode(bt, None) == f"local ({bt.simulator})" and table_mode(bt, True) == "remote"
    added = fb(project, "add-local", CERT_ID, "--cert", str(pems.client_cert), "--key", str(pems.client_key),
               "--ca", str(pems.ca))  # fmt: skip
    assert added.returncode == 0, added.stderr
    async with platform_proxy(project / "wrangler.toml") as proxy:
        resp = await proxy.env.CERT.fetch(f"{server}/from-project", headers={"x-test": "1"})
        data = await resp.json()
    assert data["client"] == "client.flarebind.test" and data["path"] == "/from-project"


def test_no_remote_warning_once_simulated(project: Path) -> None:
    checked = subprocess.run([FLAREBIND, "check"], cwd=project, capture_output=True, text=True)
    assert "mTLS Certificate bindings do not support local development" not in checked.stdout + checked.stderr
    (project / "wrangler.toml").write_text((project / "wrangler.toml").read_text() + "remote = false\n")
    checked = subprocess.run([FLAREBIND, "check"], cwd=project, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
