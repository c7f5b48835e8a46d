"""Every test that docs/security/asvs-l2.md names exists.

Tests are matched by file name and test name, not by folder, so moving a test file to another folder
(as the layout changes do) keeps the document valid; renaming or deleting a named test fails here.
"""

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security" / "asvs-l2.md"
NODE_ID = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[[^\]`]*\])?`")


def named_tests() -> list[tuple[str, str]]:
    return sorted(set(NODE_ID.findall(DOC.read_text(encoding="utf-8"))))


@cache
def _defined_in(file_name: str) -> frozenset[str]:
    """Test function names defined in every file of that name anywhere under tests/."""
    names = set()
    for path in (ROOT / "tests").rglob(file_name):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names.update(n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))
    return frozenset(names)


def test_the_document_names_tests():
    # A broken pattern would make the check below pass on nothing.
    assert len(named_tests()) >= 40


@pytest.mark.parametrize(("path", "name"), named_tests(), ids=lambda v: v)
def test_every_named_test_exists(path, name):
    assert name.startswith("test_"), name
    assert name in _defined_in(Path(path).name), f"{path}::{name} is named in {DOC.name} but no such test exists"
