"""Each shared piece exists once, and balances/ stays the data side (issue 11's habits, checked).

These read the source tree, so a copy written next to the shared one fails here, in the test run."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("balances", "members", "studio", "api", "config")
VIEW_APPS = ("members", "studio", "api")


def _python(*apps):
    for app in apps:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef):
            yield node


def test_balances_holds_no_views_urls_forms_templatetags_or_templates():
    balances = ROOT / "balances"
    found = [
        _rel(p)
        for p in balances.rglob("*")
        if p.name in ("views.py", "urls.py", "forms.py") or "templatetags" in p.parts or "templates" in p.parts
    ]
    assert found == []
    assert not (ROOT / "templates" / "balances").exists()


FORBIDDEN_IN_BALANCES = re.compile(
    r"^\s*(?:from|import)\s+(django\.(?:http|shortcuts|template\.response|forms|urls)\b|django\s+import\s+forms\b|"
    r"(?:members|studio|api|sandbox)\b)",
    re.M,
)


@pytest.mark.parametrize("path", list(_python("balances")), ids=_rel)
def test_balances_imports_nothing_of_the_web_or_the_apps_above_it(path):
    if path.match("balances/management/commands/demo.py"):  # leaves balances/ with the sandbox work (issue 11)
        return
    assert FORBIDDEN_IN_BALANCES.findall(path.read_text()) == []


def test_one_credit_formatter():
    """balances/formatting.py is the only place that turns a credit Decimal into text."""
    writers = [_rel(p) for p in _python(*OURS) if "normalize()" in p.read_text()]
    assert writers == ["balances/formatting.py"]
    defined = [
        (_rel(p), f.name) for p in _python(*OURS) for f in _functions(p) if f.name in ("credits_text", "signed_credits_text")
    ]
    assert defined == [("balances/formatting.py", "credits_text"), ("balances/formatting.py", "signed_credits_text")]


CODENAMES = (
    "view_members",
    "adjust_credits",
    "export_members",
    "view_audit",
    "manage_connection",
    "manage_staff",
    "allow_negative_balance",
)
PERMISSION_TEXT = re.compile(r"""["'](?:balances\.)?(?:""" + "|".join(CODENAMES) + r""")["']|perms\.balances""")


def test_permission_names_live_only_in_roles():
    sources = [*_python(*OURS), *sorted((ROOT / "templates").rglob("*.html"))]
    spelled = [_rel(p) for p in sources if PERMISSION_TEXT.search(p.read_text())]
    assert spelled == ["balances/roles.py"]


def test_the_roles_module_names_every_permission_the_models_declare():
    from django.contrib.auth.models import Permission  # noqa: F401 (apps are loaded by pytest-django)

    from balances import roles
    from balances.audit import AuditEntry
    from balances.models import StudioAccess

    declared = {c for c, _ in StudioAccess._meta.permissions} | {c for c, _ in AuditEntry._meta.permissions}
    assert declared == {roles.codename(p) for p in roles.ALL}


@pytest.mark.parametrize("path", list(_python(*VIEW_APPS)), ids=_rel)
def test_no_view_module_catches_wix_errors_by_hand(path):
    """config/web.py turns Wix failures into answers; a view that catches them again drifts from it."""
    handlers = [
        ast.unparse(node.type)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ExceptHandler) and node.type is not None and "Wix" in ast.unparse(node.type)
    ]
    assert handlers == []


def test_one_htmx_partial_choice():
    """Only the request layer decides "partial or whole page" from request.htmx."""
    deciding = [_rel(p) for p in _python(*VIEW_APPS) if "history_restore_request" in p.read_text()]
    assert deciding == []
    assert "history_restore_request" in (ROOT / "config" / "web.py").read_text()


def test_one_pager_and_one_field_error_style():
    templates = sorted((ROOT / "templates").rglob("*.html"))
    pagers = [_rel(p) for p in templates if 'class="pager"' in p.read_text()]
    assert pagers == ["templates/components/_pager.html"]
    raw_errors = [_rel(p) for p in templates if re.search(r"\{\{\s*[\w.]+\.(?:errors|non_field_errors)\s*[|}]", p.read_text())]
    assert raw_errors == []
    messages = [_rel(p) for p in templates if "{% for message in messages %}" in p.read_text()]
    assert messages == ["templates/components/_messages.html"]


def test_sandbox_is_imported_by_no_production_app():
    pattern = re.compile(r"^\s*(?:from|import)\s+sandbox\b", re.M)
    importers = [_rel(p) for p in _python(*OURS) if pattern.search(p.read_text())]
    # Only the demo app (config/demo/, installed by config.demo.settings alone) wires the sandbox to our models.
    assert [p for p in importers if not p.startswith("config/demo/")] == []
    assert importers == ["config/demo/management/commands/demo.py"]
