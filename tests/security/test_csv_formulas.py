"""CSV exports open in a spreadsheet as data, never as formulas (issue 19, finding 7).

Both exports: the member list's (members:export) and the audit log's (audit:export). Every field is
quoted, so a `;`-separator locale cannot split `Ann;=1+1` into a live `=1+1` cell; text columns are
guarded at the start and after separators, in ASCII and full-width signs; numbers stay numbers.
"""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from balances.audit import AuditEntry
from balances.csv_safe import number, text

HOSTILE = ["Ann;=1+1", "\uff1dHYPERLINK(1)", "Bo, +SUM(1)", "Cy\n@cmd", "\u3000\uff0d2"]


def _as_excel_in_a_semicolon_locale_reads(line: str) -> list[str]:
    """What a `;`-separator spreadsheet makes of one CSV line: quotes respected, split on `;`."""
    return next(csv.reader([line], delimiter=";"))


def _formula_cells(cells):
    # What a spreadsheet would run: a cell starting (after spaces) with an ASCII or full-width sign.
    return [c for c in cells if c.lstrip(" \u3000")[:1] in "=+-@\uff1d\uff0b\uff0d\uff20" and c.strip()]


@pytest.mark.parametrize("name", HOSTILE)
def test_text_cells_are_guarded_wherever_a_cell_could_begin(name):
    guarded = text(name)
    for part in guarded.replace(",", ";").replace("\n", ";").split(";"):
        assert not _formula_cells([part]), (name, guarded)


def test_plain_text_and_numbers_are_left_alone():
    assert text("Ann - Bee (Pilates)") == "Ann - Bee (Pilates)"
    assert text("\t=1") == "'\t'=1" and text("\0x") == "'\0x"
    assert text(None) == "" and number(None) == ""
    assert number(Decimal("-1.0000")) == "-1.0000" and number(-3) == "-3"
    with pytest.raises(TypeError):
        number("=1+1")  # a text value can never slip through the unguarded path


@pytest.mark.django_db
def test_member_export_quotes_every_field_and_guards_hostile_names(fresh_wix, owner_client):
    for i, first in enumerate(HOSTILE):
        fresh_wix.studio.add_member(first, "Sheetz", email=f"sheetz{i}@example.com")
    response = owner_client.get(reverse("members:export"), {"q": "Sheetz"})
    raw = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(raw)))
    assert len(rows) == 1 + len(HOSTILE)
    assert raw.startswith('"member_id","name","email"')  # every field quoted, the header too
    ann = next(line for line in raw.splitlines() if "Ann;" in line)
    assert ',"Ann;\'=1+1 Sheetz",' in ann
    assert not _formula_cells(_as_excel_in_a_semicolon_locale_reads(ann)), ann
    for row in rows[1:]:
        assert not _formula_cells(row), row
        assert not _formula_cells(";".join(row).replace(",", ";").replace("\n", ";").split(";")), row


@pytest.mark.django_db
def test_audit_export_keeps_negative_numbers_numeric_and_guards_text(owner_client, owner):
    AuditEntry.objects.create(
        user=owner,
        username=owner.username,
        member_id="m1",
        member_name="Ann;=1+1",
        pool_id="p1",
        plan_name="\uff1dHYPERLINK(1)",
        kind="adjust",
        requested=Decimal("-1"),
        available_before=Decimal("3"),
        available_after=Decimal("2"),
        delta=Decimal("-1"),
        reason="-fix",
        idempotency_key="k-neg-1",
        outcome="applied",
    )
    raw = owner_client.get(reverse("audit:export")).content.decode()
    header, row = list(csv.reader(io.StringIO(raw)))
    got = dict(zip(header, row, strict=True))
    assert got["delta"] == "-1.0000" and got["requested"] == "-1.0000"  # not the text '-1.0000
    assert got["member"] == "Ann;'=1+1" and got["plan"] == "'\uff1dHYPERLINK(1)" and got["reason"] == "'-fix"
    assert raw.splitlines()[1].startswith('"') and ',"Ann;\'=1+1",' in raw  # quoted, so `;` cannot split it
    assert not _formula_cells(_as_excel_in_a_semicolon_locale_reads(raw.splitlines()[1]))
