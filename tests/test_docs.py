"""The docs stay true: the plugin API reference is regenerated from docstrings, and pages link only to files
that exist in the repository."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted([*REPO.joinpath("docs").rglob("*.md"), REPO / "README.md", *REPO.joinpath("examples").glob("*.md")])


def test_the_plugin_api_reference_is_current():
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "plugin_api_doc.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_reference_covers_every_public_plugin_name():
    import flarebind.plugin as api

    page = (REPO / "docs" / "plugin-api.md").read_text()
    headings = set(re.findall(r"^### `@?([A-Za-z_]+)", page, re.M))
    assert set(api.__all__) <= headings
    for hook_object in ("BindingEntry", "Report", "LocalContext", "Project", "Config", "Diagnostic"):
        assert hook_object in headings
    assert "`project_dir`" in page and "`file`" in page and "`level`" in page  # what authors had to dir() for


def test_pages_link_only_to_files_in_the_repository():
    broken = []
    for page in PAGES:
        text = re.sub(r"`[^`\n]*`", "", page.read_text())  # code spans are not links
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (page.parent / target.split("#", 1)[0]).exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert broken == []


def test_pages_name_no_design_files_that_are_not_in_the_repository():
    absent = re.compile(r"DESIGN\.md|docs/state\.md|reference/[\w-]+\.md|remote-bindings-upstream\.md")
    named = [
        f"{page.relative_to(REPO)}: {m.group(0)}"
        for page in PAGES
        for m in absent.finditer(page.read_text())
        if not (REPO / m.group(0)).exists()
    ]
    assert named == []
