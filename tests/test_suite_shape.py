"""The suite's own shape: plain helpers come from tests/support.py, never conftest.py."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _imports_conftest(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module in ("conftest", "tests.conftest"):
            return True
        if isinstance(node, ast.Import) and any(
                alias.name in ("conftest", "tests.conftest") for alias in node.names):
            return True
    return False


def test_no_test_module_imports_from_conftest():
    offenders = sorted(path.name for path in TESTS.glob("*.py")
                       if _imports_conftest(path.read_text(encoding="utf-8")))
    assert offenders == [], f"import these helpers from tests.support instead: {offenders}"


def test_the_check_sees_an_import_from_conftest():
    assert _imports_conftest("from tests.conftest import in_ci\n")
    assert _imports_conftest("import conftest\n")
    assert not _imports_conftest("from tests.support import in_ci\n")
