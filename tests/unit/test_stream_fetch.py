"""The event stream's poll reads one page of the log, however far back the client starts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import uuid4

from domain.events import OperatorCommand
from infrastructure.api.stream import _fetch


class _PagedLog:
    """Pages of streamed events, counting how many were read."""

    def __init__(self, pages: int, size: int) -> None:
        self.pages, self.size, self.read_pages = pages, size, 0

    def read(self, after: int = 0, page_size: int = 10_000, **_: Any) -> Iterator[Sequence[Any]]:
        for page in range(self.pages):
            self.read_pages += 1
            yield [_Recorded(page * self.size + i + 1) for i in range(self.size)]


class _Recorded:
    def __init__(self, notification_id: int) -> None:
        self.notification_id = notification_id
        self.event = OperatorCommand(
            originator_id=uuid4(),
            originator_version=1,
            ts_event=notification_id,
            command="halt",
            scope="account",
            reason="r",
            issued_by="test",
        )


def test_a_poll_reads_the_first_page_only() -> None:
    log = _PagedLog(pages=50, size=500)
    batch = _fetch(log, after=0, limit=500)  # type: ignore[arg-type]
    assert [n for n, _, _ in batch] == list(range(1, 501))
    assert log.read_pages == 1
