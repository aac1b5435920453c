"""The docs can't drift: docs/cli.md is every command's `--help` as it is now, the
exit-code table is `ExitCode` as it is now (both written by scripts/make_docs.py), the
README stays a short front door carrying the project's test command, and every relative
link in the README and docs/ leads to a file that exists."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
TITLE = re.compile(r"^## `(gametime[^`]*)`$", re.MULTILINE)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def make_docs():
    spec = importlib.util.spec_from_file_location("make_docs", ROOT / "scripts" / "make_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sections(text: str) -> dict[str, str]:
    """docs/cli.md cut at its command headings: each command's title and its section."""
    cuts = list(TITLE.finditer(text))
    return {m.group(1): text[m.start():(cuts[i + 1].start() if i + 1 < len(cuts) else None)]
            for i, m in enumerate(cuts)}


def test_the_cli_reference_is_every_commands_help_as_it_is_now(make_docs):
    wanted = make_docs.cli_markdown()
    written = (DOCS / "cli.md").read_text()
    if written == wanted:
        return
    now, then = _sections(wanted), _sections(written)
    drifted = sorted(
        [f"{title} (not in docs/cli.md)" for title in now.keys() - then.keys()]
        + [f"{title} (no longer a command)" for title in then.keys() - now.keys()]
        + [title for title in now.keys() & then.keys() if now[title] != then[title]])
    pytest.fail(f"docs/cli.md differs from the commands' --help: "
                f"{', '.join(drifted) or 'its introduction or order'}; "
                f"run {make_docs.REGENERATE}")


def test_the_exit_code_table_is_the_exit_code_enum(make_docs):
    from gametime_cli.errors import ExitCode

    assert all(code.meaning and "\n" not in code.meaning for code in ExitCode)
    text = (DOCS / "scripting.md").read_text()
    assert text.count(make_docs.EXIT_START) == 1 and text.count(make_docs.EXIT_END) == 1
    if make_docs.with_exit_codes(text) != text:
        pytest.fail(f"the exit-code table in docs/scripting.md differs from ExitCode in "
                    f"gametime_cli/errors.py; run {make_docs.REGENERATE}")


def test_the_readme_is_a_short_front_door_with_the_test_command():
    text = README.read_text()
    assert len(text.splitlines()) <= 220
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci == "bash scripts/setup.sh --test && .venv/bin/pytest"
    assert ci in text
    assert '-m "not browser and not slow"' in text
    assert not re.search(r"\b\d+ (passed|tests)\b", text), "test-suite counts go stale"
    assert not re.search(r"\b\d+ ?min\b|\bminutes? of tests\b", text), \
        "test-suite timings go stale"


def test_every_relative_link_leads_to_a_file():
    broken = []
    for page in [README, *sorted(DOCS.glob("*.md"))]:
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z][a-z+.-]*:", target) or target.startswith("#"):
                continue
            path = target.split("#", 1)[0]
            if not (page.parent / path).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken
