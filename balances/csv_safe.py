"""CSV that a spreadsheet opens as data, never as formulas (OWASP "CSV Injection").

Two defences, both needed:

- Every field is quoted. Excel in a locale whose list separator is `;` splits an unquoted
  `Ann;=1+1` into two cells and evaluates the second; inside quotes the `;` is just a character.
- Text columns get a leading `'` before anything a spreadsheet would start a formula with: at the
  start of the cell, and after a separator inside it (`,` `;` tab, line breaks), for the import
  wizards that split on a separator regardless of quotes. The ASCII signs and their full-width forms
  (`＝＋－＠`, which some spreadsheets fold to ASCII) both count, after any leading spaces.

Numeric columns are written as plain numbers and never guarded: `-1` must stay a number a
spreadsheet can add up, not the text `'-1`. Callers therefore say which columns are text.
"""

import csv
import re
from decimal import Decimal
from typing import Any, Protocol

# = + - @ in ASCII and full width (U+FF1D, U+FF0B, U+FF0D, U+FF20).
_SIGNS = "=+\\-@\uff1d\uff0b\uff0d\uff20"
# A sign at the start of the text or after a separator, spaces (ASCII or ideographic) in between or not.
_FORMULA = re.compile(rf"(^|[,;\t\r\n])([ \u3000]*)(?=[{_SIGNS}])")


class _Writable(Protocol):
    def write(self, value: str, /) -> Any: ...


def text(value: object) -> str:
    """A text cell: `None` is empty; a would-be formula, anywhere a cell could begin, gets a `'`."""
    if value is None:
        return ""
    guarded = _FORMULA.sub(r"\1\2'", str(value))
    # A tab, line break or NUL at the very start also opens a formula in some spreadsheets (ASVS 5.0 V1.2.10).
    return "'" + guarded if guarded[:1] in ("\t", "\r", "\n", "\0") else guarded


def number(value: int | Decimal | None) -> str:
    """A numeric cell: written as the number itself (negative ones included), `None` is empty."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"not a number: {value!r}")
    return str(value)


def writer(stream: _Writable) -> Any:  # csv's writer type is private (_csv.Writer)
    """A csv writer quoting every field (see the module docstring for why)."""
    return csv.writer(stream, quoting=csv.QUOTE_ALL)
