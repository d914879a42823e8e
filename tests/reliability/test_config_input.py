"""Config files that used to crash `check` / `bindings` / `dev` with a traceback (issue 20, item 7): encodings,
deep nesting, a non-UTF-8 `.dev.vars`, and binding names Python cannot reach as attributes. Real processes for
the CLI; hypothesis for the byte-level fuzzing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flarebind.config import load_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BIN = Path(sys.executable).parent

VALID = 'name = "probe"\ncompatibility_date = "2026-05-01"\n[[kv_namespaces]]\nbinding = "KV"\nid = "abc"\n'

BAD_FILES = {
    "invalid-utf8-toml": ("wrangler.toml", 'name = "x\xff"\n'.encode("latin-1"), "not valid UTF-8", (1, 10)),
    "utf16-toml": ("wrangler.toml", 'name = "x"\n'.encode("utf-16"), "UTF-16 LE byte order marker", (1, 1)),
    "utf16be-json": (
        "wrangler.json",
        '{"name": "x"}'.encode("utf-16-be").join([b"\xfe\xff", b""]),
        "UTF-16 BE",
        (1, 1),
    ),
    "utf32-toml": ("wrangler.toml", 'name = "x"\n'.encode("utf-32"), "UTF-32 LE byte order marker", (1, 1)),
    "toml-5000-deep": ("wrangler.toml", ("x = " + "[" * 5000 + "]" * 5000 + "\n").encode(), "nested too deeply", None),
    "toml-inline-tables-deep": (
        "wrangler.toml",
        ("x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n").encode(),
        "nested too deeply",
        None,
    ),
    "jsonc-3000-deep": (
        "wrangler.jsonc",
        ('{"x": ' + "[" * 3000 + "]" * 3000 + "}").encode(),
        "nested too deeply",
        None,
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_config_files_are_diagnostics(tmp_path, case):
    name, data, text, where = BAD_FILES[case]
    (tmp_path / name).write_bytes(data)
    config, diagnostics = load_config(start=tmp_path)
    assert config is None
    (diag,) = diagnostics
    assert diag.is_error and text in diag.message
    if where is not None:
        assert (diag.line, diag.col) == where


def test_utf8_bom_is_accepted(tmp_path):
    (tmp_path / "wrangler.toml").write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    config, diagnostics = load_config(start=tmp_path)
    assert config is not None and not diagnostics and config.settings.name == "probe"


@pytest.mark.parametrize("command", [["check"], ["bindings"], ["dev", "--port", "0"]])
@pytest.mark.parametrize("case", ["invalid-utf8-toml", "utf16-toml", "toml-5000-deep", "jsonc-3000-deep"])
def test_cli_reports_instead_of_crashing(tmp_path, command, case):
    name, data, text, _ = BAD_FILES[case]
    (tmp_path / name).write_bytes(data)
    proc = subprocess.run([str(BIN / "flarebind"), *command], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert text in proc.stderr


def test_non_utf8_dev_vars(tmp_path):
    (tmp_path / "wrangler.toml").write_text(VALID)
    (tmp_path / ".dev.vars").write_bytes(b"GOOD=1\nBAD=\xff\xfe\n")
    _, diagnostics = load_config(start=tmp_path)
    (diag,) = diagnostics
    assert diag.is_error and "not valid UTF-8" in diag.message
    assert diag.file == tmp_path / ".dev.vars" and (diag.line, diag.col) == (2, 5)
    proc = subprocess.run([str(BIN / "flarebind"), "check"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and ".dev.vars:2:5" in proc.stderr


@pytest.mark.parametrize(
    ("name", "advice"),
    [
        ("class", 'env["class"] or getattr(env, "class")'),
        ("__class__", 'env["__class__"]'),
        ("keys", 'env["keys"]'),
        ("", 'env[""] or getattr(env, "")'),
        ("my-kv.x y", 'env["my-kv.x y"] or getattr(env, "my-kv.x y")'),
    ],
)
def test_binding_names_python_cannot_reach_get_a_warning(tmp_path, name, advice):
    (tmp_path / "wrangler.toml").write_text(f'name = "p"\n[vars]\nOK = "1"\n[[kv_namespaces]]\nbinding = "{name}"\n')
    config, diagnostics = load_config(start=tmp_path)
    assert config is not None
    (warning,) = diagnostics
    assert warning.level == "warning" and f"Use {advice}, or rename the binding." in warning.message
    assert warning.line == 4


def test_plain_binding_names_get_no_warning(tmp_path):
    (tmp_path / "wrangler.toml").write_text(VALID)
    assert load_config(start=tmp_path)[1] == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=200),
        st.builds(
            lambda text, encoding: text.encode(encoding, "replace" if encoding == "latin-1" else "surrogatepass"),
            st.text(max_size=120),
            st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1"]),
        ),
        st.builds(
            lambda depth, pair, json: (
                (
                    ('{"x": ' if json else "x = ")
                    + pair[0] * depth
                    + ("1" if pair[0] == "{a = " else "")
                    + pair[1] * depth
                ).encode()
                + (b"}" if json else b"\n")
            ),
            st.integers(0, 4000),
            st.sampled_from([("[", "]"), ("{a = ", "}"), ('{"a": ', "}")]),
            st.booleans(),
        ),
        st.builds(lambda cut: VALID.encode()[:cut] + b"\xff" + VALID.encode()[cut:], st.integers(0, len(VALID))),
    ),
    suffix=st.sampled_from(["toml", "json", "jsonc"]),
)
def test_fuzzed_bytes_never_raise(tmp_path, data, suffix):
    folder = tmp_path / "fuzz"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    (folder / f"wrangler.{suffix}").write_bytes(data)
    config, diagnostics = load_config(start=folder)  # must not raise
    assert config is not None or any(d.is_error for d in diagnostics)
