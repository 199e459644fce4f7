"""Versions as PostgreSQL ``COPY ... FROM STDIN`` text, built by one generated function per table.

Not ``copy.write_row``: the driver's per-row adaptation of each Decimal costs more than the
server's insert. One f-string per row (``str`` of each Decimal is its exact text, which
``numeric`` reads back unchanged) and a single ``write`` of the batch make the same rows for less.
Text columns are escaped as COPY's text format requires (backslash, tab, newline, CR);
``None`` is ``\\N``. A view's text repeats a few values (the account, the symbol, a strategy) on
every row: each builder remembers the escaped form of the texts it has seen (up to a bound), as a
dict lookup costs a fraction of ``str.translate``.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from typing import Any

from projections.base import Table, Version

NULL = "\\N"
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

CopyBuilder = Callable[[Sequence[Version], list[int | None]], str]


class EscapedText(dict[str, str]):
    """Texts as COPY text writes them, computed on first sight and remembered (``limit`` of them:
    past it, unique texts such as order ids are escaped again each time instead of kept)."""

    def __init__(self, limit: int = 65_536) -> None:
        super().__init__()
        self.limit = limit

    def __missing__(self, text: str) -> str:
        escaped = text.translate(ESCAPES)
        if len(self) < self.limit:
            self[text] = escaped
        return escaped


def copy_builder(table: Table) -> CopyBuilder:
    """A function giving the COPY text of a table's versions (with their ``valid_to``)."""
    hints = typing.get_type_hints(table.row)
    fields = ["{seq}", "{valid_from}", "{N if until is None else until}"]
    for column in table.columns:
        hint = hints[column]
        optional = type(None) in typing.get_args(hint)
        text = str in (hint, *typing.get_args(hint))
        value = f"E[r.{column}]" if text else f"r.{column}!s"
        if optional:
            value = (
                f"N if r.{column} is None else E[r.{column}]"
                if text
                else f"N if r.{column} is None else r.{column}"
            )
        fields.append("{" + value + "}")
    line = "\\t".join(fields)
    source = (
        "def build(versions, valid_to):\n"
        "    return ''.join([\n"
        f'        f"{line}\\n"\n'
        "        for (seq, valid_from, r, _), until in zip(versions, valid_to)\n"
        "    ])\n"
    )
    namespace: dict[str, Any] = {"N": NULL, "E": EscapedText()}
    exec(source, namespace)  # noqa: S102 -- code built from the table's own column names and types
    built: CopyBuilder = namespace["build"]
    return built
