"""The test suite works from a checkout in a folder named `flarebind`, the default `git clone` name (issue 20,
item 12): no test derives a path by replacing "flarebind" in a whole path string.

A throwaway environment whose path contains ``flarebind`` twice (``…/flarebind/.venv/bin/flarebind``) runs the CLI
tests that start the library and the console script as real processes."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# the CLI test that starts both the console script and a Python process (it once derived one from the other)
TEST_FILE = "test_cli.py"
TEST = "test_production_guard_in_check_and_platform_proxy"


def test_cli_tests_pass_from_a_folder_named_flarebind(tmp_path):
    venv = tmp_path / "flarebind" / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = [sysconfig.get_paths()["purelib"], *site.getsitepackages()]
    # this environment's packages (and their editable-install .pth files) become visible to the new one
    (Path(purelib) / "_flarebind_parent.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in dict.fromkeys(ours)) + "\n"
    )
    script = venv / "bin" / "flarebind"
    script.write_text(f"#!{python}\nimport sys\nfrom flarebind.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(
        [str(python), "-m", "pytest", f"tests/{TEST_FILE}::{TEST}", "-q", "-p", "no:cacheprovider"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
