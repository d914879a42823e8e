"""Plugin discovery remembered between runs: the same answer as importlib.metadata, and a fresh scan whenever a
distribution is installed, changed or removed. Each run is a fresh interpreter, as each `flarebind` start is."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = """
from flarebind.bindings.types import BindingType, Support
from flarebind.hookspecs import hookimpl


@hookimpl
def register_binding_types(register):
    register(BindingType(type="{key}", config_key="{key}", friendly_name="{key}", support=Support.LOCAL_ONLY))
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site"
    path.mkdir()
    return path


def install(site: Path, dist: str, version: str, entry_points: dict[str, str]) -> None:
    """What an installer leaves behind: the module and a ``<name>-<version>.dist-info`` folder."""
    for value in entry_points.values():
        module = value.partition(":")[0]
        (site / f"{module}.py").write_text(PLUGIN.format(key=f"{module}_things"))
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[flarebind]\n{lines}")


def run(site: Path, tmp_path: Path) -> dict:
    code = textwrap.dedent(
        """
        import json, sys
        from flarebind import entry_points
        from flarebind.plugins import make_plugins

        found = [ep for ep in entry_points.find("flarebind") if ep.name.startswith("fbtest")]
        scanned_before = "importlib.metadata" in sys.modules
        plugins = make_plugins()
        keys = sorted(bt.config_key for bt in plugins.registry.binding_types() if bt.config_key.startswith("fbtest"))
        truth = [ep for ep in entry_points.scan("flarebind") if ep.name.startswith("fbtest")]
        print(json.dumps({"found": found, "truth": truth, "scanned": scanned_before, "keys": keys}))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_start_answers_from_the_cache_without_importlib_metadata(site: Path, tmp_path: Path) -> None:
    install(site, "fbtest-alpha", "1.0", {"fbtest_alpha": "fbtest_alpha"})
    first = run(site, tmp_path)
    assert first["found"] == first["truth"] == [["fbtest_alpha", "fbtest_alpha", "fbtest-alpha", "1.0"]]
    assert first["scanned"] is True
    assert first["keys"] == ["fbtest_alpha_things"]

    second = run(site, tmp_path)
    assert second["found"] == first["found"]
    assert second["scanned"] is False
    assert second["keys"] == ["fbtest_alpha_things"]


def test_installing_changing_and_removing_a_plugin_is_seen_on_the_next_start(site: Path, tmp_path: Path) -> None:
    install(site, "fbtest-alpha", "1.0", {"fbtest_alpha": "fbtest_alpha"})
    assert run(site, tmp_path)["keys"] == ["fbtest_alpha_things"]

    install(site, "fbtest-beta", "2.0", {"fbtest_beta": "fbtest_beta:"})
    after_install = run(site, tmp_path)
    assert after_install["scanned"] is True
    assert after_install["found"] == after_install["truth"]
    assert after_install["keys"] == ["fbtest_alpha_things", "fbtest_beta_things"]

    # entry_points.txt rewritten in place (as `setup.py egg_info` does): the folder listing is unchanged
    (site / "fbtest_gamma.py").write_text(PLUGIN.format(key="fbtest_gamma_things"))
    txt = site / "fbtest_alpha-1.0.dist-info" / "entry_points.txt"
    before = txt.stat().st_mtime_ns
    txt.write_text("[flarebind]\nfbtest_alpha = fbtest_gamma\n")
    os.utime(txt, ns=(before + 10**9, before + 10**9))  # a coarse-mtime filesystem could leave it unchanged
    rewritten = run(site, tmp_path)
    assert rewritten["found"] == rewritten["truth"]
    assert rewritten["keys"] == ["fbtest_beta_things", "fbtest_gamma_things"]

    shutil.rmtree(site / "fbtest_beta-2.0.dist-info")
    removed = run(site, tmp_path)
    assert removed["found"] == removed["truth"] == [["fbtest_alpha", "fbtest_gamma", "fbtest-alpha", "1.0"]]
    assert removed["keys"] == ["fbtest_gamma_things"]


def test_an_unwritable_cache_directory_still_finds_plugins(site: Path, tmp_path: Path) -> None:
    install(site, "fbtest-alpha", "1.0", {"fbtest_alpha": "fbtest_alpha"})
    (tmp_path / "cache").write_text("a file where the cache directory would go")
    for _ in range(2):
        result = run(site, tmp_path)
        assert result["keys"] == ["fbtest_alpha_things"]
        assert result["scanned"] is True
