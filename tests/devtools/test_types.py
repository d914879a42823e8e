"""`flarebind types`: the generated stub types env from the config, and pyright checks a Worker with it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from flarebind.bindings.types import BindingType, Support
from flarebind.config.model import BindingEntry
from flarebind.typegen import render_stub

REPO = Path(__file__).resolve().parents[2]
SHIMS = REPO / "core" / "src" / "flarebind" / "runtime" / "shims"
PYRIGHT = Path(sys.executable).parent / "pyright"

ANNOTATE = """from typing import TYPE_CHECKING

from workers import Response, WorkerEntrypoint

if TYPE_CHECKING:
    from flarebind_env import Env
"""


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    project = tmp_path / "hello"
    shutil.copytree(REPO / "examples" / "hello", project, ignore=shutil.ignore_patterns("tests", ".wrangler"))
    (project / "wrangler.toml").write_text(
        (project / "wrangler.toml").read_text() + '\n[[r2_buckets]]\nbinding = "FILES"\nbucket_name = "files"\n'
        '\n[[vectorize]]\nbinding = "INDEX"\nindex_name = "idx"\n\n[ai]\nbinding = "AI"\n'
    )
    (project / ".dev.vars").write_text("API_TOKEN=abc\n")
    result = subprocess.run(
        [sys.executable, "-m", "flarebind", "types"], cwd=project, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    entry = project / "src" / "entry.py"
    text = entry.read_text().replace("from workers import Response, WorkerEntrypoint\n", ANNOTATE)
    entry.write_text(
        text.replace("class Default(WorkerEntrypoint):\n", 'class Default(WorkerEntrypoint):\n    env: "Env"\n\n')
    )
    # `workers` resolves to the module flarebind runs the Worker with (a project may instead install
    # workers-runtime-sdk as a dev dependency, as pywrangler projects do)
    (project / "pyrightconfig.json").write_text(f'{{"extraPaths": ["{SHIMS}"]}}')
    return project


def test_the_stub_types_each_binding_with_its_class(hello: Path) -> None:
    stub = (hello / "typings" / "flarebind_env" / "__init__.pyi").read_text()
    for line in (
        "from flarebind_kv.binding import KVNamespace",
        "from flarebind_d1.binding import D1Database",
        "    COUNTER: KVNamespace",
        "    DB: D1Database",
        "    FILES: R2Bucket",
        "    INDEX: VectorizeIndex",
        "    AI: LocalAi",
        "    GREETING: Literal['Hello']",
        "    API_TOKEN: str",
    ):
        assert line in stub, line


def pyright(project: Path) -> subprocess.CompletedProcess[str]:
    if not PYRIGHT.exists():
        pytest.skip("pyright is not installed (uv sync --group typecheck)")
    return subprocess.run(
        [str(PYRIGHT), "--pythonpath", sys.executable, "src"], cwd=project, capture_output=True, text=True, check=False
    )


def test_pyright_passes_on_the_worker_and_reports_a_misspelled_method(hello: Path) -> None:
    clean = pyright(hello)
    assert clean.returncode == 0, clean.stdout
    assert "0 errors" in clean.stdout
    entry = hello / "src" / "entry.py"
    entry.write_text(entry.read_text().replace("self.env.COUNTER.get(", "self.env.COUNTER.gett("))
    broken = pyright(hello)
    assert broken.returncode == 1
    assert 'Cannot access attribute "gett" for class "KVNamespace"' in broken.stdout
    # and a var's literal type reaches the checker: comparing it with another literal is flagged
    entry.write_text(
        entry.read_text().replace("self.env.COUNTER.gett(", "self.env.COUNTER.get(")
        + ("\n\ndef check(env: 'Env') -> int:\n    return env.GREETING\n")
    )
    literal = pyright(hello)
    assert '"Literal[\'Hello\']" is not assignable to "int"' in literal.stdout


def test_a_plugin_declared_stub_class_is_used_and_names_are_kept_apart() -> None:
    flags = BindingType(
        type="feature_flags",
        config_key="feature_flags",
        friendly_name="Feature Flags",
        support=Support.LOCAL_ONLY,
        stub="feature_flags.api:KVNamespace",
    )
    plain = BindingType(type="queue", config_key="queues", friendly_name="Queue", support=Support.LOCAL_ONLY)
    kv = BindingType(
        type="kv_namespace",
        config_key="kv_namespaces",
        friendly_name="KV",
        support=Support.LOCAL_ONLY,
        stub="flarebind_kv.binding:KVNamespace",
    )
    loaded = SimpleNamespace(
        path=Path("wrangler.toml"),
        env_name="staging",
        dev_vars={},
        bindings=[
            BindingEntry(type=flags, name="FLAGS", entry={}, path="feature_flags[0]"),
            BindingEntry(type=kv, name="KV", entry={}, path="kv_namespaces[0]"),
            BindingEntry(type=plain, name="JOBS", entry={}, path="queues[0]"),
            BindingEntry(type=plain, name="not-an-identifier", entry={}, path="queues[1]"),
        ],
    )
    stub = render_stub(loaded)
    assert "from feature_flags.api import KVNamespace" in stub
    assert "from flarebind_kv.binding import KVNamespace as KVNamespace_2" in stub
    assert "    FLAGS: KVNamespace  #" in stub and "    KV: KVNamespace_2  #" in stub
    assert "    JOBS: Any  # Queue: its plugin declares no stub class" in stub
    assert "getattr(env, 'not-an-identifier')" in stub
    assert "(env staging)" in stub
    compile(stub, "__init__.pyi", "exec")  # the stub is valid Python syntax


def test_binding_packages_ship_py_typed() -> None:
    for package in (
        "flarebind",
        "flarebind_kv",
        "flarebind_r2",
        "flarebind_d1",
        "flarebind_vectorize",
        "flarebind_ai",
        "flarebind_images",
    ):
        module = __import__(package)
        assert (Path(module.__file__).parent / "py.typed").is_file(), package
