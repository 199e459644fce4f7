"""The messages between the engine's process and the run log's writer (``sqlite_writer``).

Each crosses the pipe as msgpack, framed by its length (4 bytes, big-endian), an array whose
first element is the message's tag. Requests, to the writer:

- ``AppendBatch``: a batch's inline rows as columns, and the runs of rows it copies from the
  source (``source_copies``): columns cost the sender less than a tuple per row, and the writer
  hands them to the C loader (or zips them into rows) as they arrive;
- ``BuildStreamKey``: build the log's stream key after the batches before it (``stream_key``);
- ``Commit``: commit what the writer has loaded so far (the C loader keeps a load in one
  transaction: ``bulk_loader``).

Closing the pipe ends the writer, which commits what it loaded unless a request failed.
The writer answers each request, in order, with ``Written`` or ``Refused``. A message that is
not one of these (another tag, missing fields, not msgpack) is refused with ``ProtocolError``:
the two processes disagree on the protocol, so the writer takes no later batch either.
"""

from __future__ import annotations

from typing import IO, Generic, TypeVar
from uuid import UUID

import msgspec

from infrastructure.errors import StoreError
from infrastructure.store.source_copies import Copy

Originator = TypeVar("Originator", UUID, str)
"""A row's stream id: a UUID where it is sent, its 32 hex digits (the stored form) where read."""
State = TypeVar("State", bytes, bytearray)
"""A row's stored bytes: bytes where sent, bytearray where read (sqlite3 binds a bytearray as a
BLOB without first looking for an adapter, and the failed lookup for bytes costs more than the copy)."""


class AppendBatch(msgspec.Struct, Generic[Originator, State], frozen=True, array_like=True, tag="append"):
    """Append a batch: its inline rows as four columns, and ``copies``, each a run of consecutive
    source rows put before the inline row at its position (``source_copies``)."""

    originators: list[Originator]
    versions: list[int]
    topics: list[str]
    states: list[State]
    copies: list[Copy]


SentBatch = AppendBatch[UUID, bytes]
"""A batch as the engine's process builds it (the encoder writes each UUID as its hex digits)."""
ReceivedBatch = AppendBatch[str, bytearray]
"""The same batch as the writer reads it."""


class BuildStreamKey(msgspec.Struct, frozen=True, array_like=True, tag="key"):
    """Build the log's stream key after the batches sent before (the end of a bulk load)."""


class Commit(msgspec.Struct, frozen=True, array_like=True, tag="commit"):
    """Commit what the writer has loaded so far."""


Request = ReceivedBatch | BuildStreamKey | Commit


class Written(msgspec.Struct, frozen=True, array_like=True, tag="written"):
    """A request done: the log's last rowid after it, the chain's head then (notification id,
    hash; None for an unchained log), the digest and count of the rows copied from the source so
    far (None without one), and whether the C loader wrote it."""

    last: int
    head: tuple[int, bytes] | None
    copied: tuple[str, int] | None
    native: bool


class Refused(msgspec.Struct, frozen=True, array_like=True, tag="refused"):
    """A request not done (rolled back), and why; the writer refuses every later one as well."""

    reason: str


Answer = Written | Refused


class ProtocolError(StoreError):
    """A message on the writer's pipe is not one the protocol has: the two processes run
    different code, or the pipe was written by something else. The run has failed; rerun it."""


ENCODER = msgspec.msgpack.Encoder(uuid_format="hex")
"""UUIDs as their 32 hex digits, the stored form, written by msgspec rather than ``UUID.hex``."""
_REQUESTS: msgspec.msgpack.Decoder[Request] = msgspec.msgpack.Decoder(Request)
_ANSWERS: msgspec.msgpack.Decoder[Answer] = msgspec.msgpack.Decoder(Answer)


def send(stream: IO[bytes], data: bytes) -> None:
    """Write one encoded message, framed by its length."""
    stream.write(len(data).to_bytes(4, "big"))
    stream.write(data)
    stream.flush()


def receive(stream: IO[bytes]) -> bytes | None:
    """The next message's bytes, or None once the other side has closed the pipe."""
    header = stream.read(4)
    if len(header) < 4:
        return None
    return stream.read(int.from_bytes(header, "big"))


def decode_request(data: bytes) -> Request:
    """A request as the writer reads it; ``ProtocolError`` if it is none of the protocol's."""
    try:
        return _REQUESTS.decode(data)
    except msgspec.DecodeError as error:
        raise ProtocolError(f"the log writer cannot read a request of {len(data):,} bytes: {error}") from None


def decode_answer(data: bytes) -> Answer:
    """The writer's answer; ``ProtocolError`` if it is none of the protocol's."""
    try:
        return _ANSWERS.decode(data)
    except msgspec.DecodeError as error:
        raise ProtocolError(
            f"the log writer's answer of {len(data):,} bytes is unreadable: {error}"
        ) from None
