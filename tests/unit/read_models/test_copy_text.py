"""Versions as PostgreSQL COPY text: exact decimals, NULLs, and text escaped as COPY requires."""

from __future__ import annotations

from decimal import Decimal

from infrastructure.read_models.copy_text import EscapedText, copy_builder
from projections.base import Row, Table, Version


class NoteRow(Row, frozen=True, kw_only=True):
    note: str
    maybe: str | None
    amount: Decimal
    limit: Decimal | None
    count: int | None


NOTES = Table("notes", NoteRow, ("note",), state=True)


def test_copy_text_keeps_decimals_exact_and_escapes_text() -> None:
    build = copy_builder(NOTES)
    first = NoteRow(ts=5, note="a\tb\\c\nd\re", maybe=None, amount=Decimal("1E+2"), limit=None, count=None)
    second = NoteRow(ts=6, note="", maybe="\\N", amount=Decimal("-0.10"), limit=Decimal("3"), count=7)
    versions = [Version(1, 10, first), Version(2, 11, second)]
    assert build(versions, [11, None]) == (
        "1\t10\t11\t5\ta\\tb\\\\c\\nd\\re\t\\N\t1E+2\t\\N\t\\N\n2\t11\t\\N\t6\t\t\\\\N\t-0.10\t3\t7\n"
    )


def test_escaped_texts_are_remembered_up_to_the_limit_and_escaped_past_it() -> None:
    escaped = EscapedText(limit=1)
    assert escaped["a\tb"] == "a\\tb" and escaped["a\tb"] == "a\\tb"
    assert escaped["c\\d"] == "c\\\\d"
    assert dict(escaped) == {"a\tb": "a\\tb"}
