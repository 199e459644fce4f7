"""The run-log writer's pipe protocol: each message read back as its own type, anything else refused."""

from __future__ import annotations

import io
from uuid import UUID

import msgspec
import pytest

from infrastructure.store.writer_protocol import (
    ENCODER,
    AppendBatch,
    BuildStreamKey,
    Commit,
    ProtocolError,
    Refused,
    SentBatch,
    Written,
    decode_answer,
    decode_request,
    receive,
    send,
)


def test_a_batch_crosses_as_columns_and_is_read_in_the_stored_forms() -> None:
    sent: SentBatch = AppendBatch([UUID(int=7)], [3], ["market.Bar"], [b"\x81"], [(0, 11, 4)])
    received = decode_request(ENCODER.encode(sent))
    assert isinstance(received, AppendBatch)
    assert received.originators == [UUID(int=7).hex]
    assert received.versions == [3] and received.topics == ["market.Bar"]
    assert received.states == [bytearray(b"\x81")] and type(received.states[0]) is bytearray
    assert received.copies == [(0, 11, 4)]


@pytest.mark.parametrize("request_", [BuildStreamKey(), Commit()], ids=lambda r: type(r).__name__)
def test_a_request_without_fields_is_read_back_as_its_type(request_: BuildStreamKey | Commit) -> None:
    assert decode_request(ENCODER.encode(request_)) == request_


def test_each_message_carries_its_tag_first() -> None:
    assert msgspec.msgpack.decode(ENCODER.encode(Commit())) == ["commit"]
    assert msgspec.msgpack.decode(ENCODER.encode(BuildStreamKey())) == ["key"]
    assert msgspec.msgpack.decode(ENCODER.encode(Refused("no")))[0] == "refused"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (ENCODER.encode(["sign_checkpoint"]), "Invalid value 'sign_checkpoint'"),
        (ENCODER.encode(["append", ["ab"], [1]]), "Expected `array` of at least length 6"),
        (ENCODER.encode(["append", [1], [1], ["t"], [b"s"], []]), "Expected `str`, got `int`"),
        (ENCODER.encode(("columns", "without", "a", "tag")), "Invalid value 'columns'"),
        (b"\xc1", "malformed"),
        (b"", "truncated"),
    ],
    ids=["unknown tag", "missing fields", "wrong field type", "untagged", "not msgpack", "empty"],
)
def test_a_request_the_protocol_does_not_have_is_refused_saying_why(data: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match="the log writer cannot read a request") as caught:
        decode_request(data)
    assert reason in str(caught.value)


def test_an_answer_is_read_back_as_its_type_and_an_unreadable_one_refused() -> None:
    written = Written(12, (12, bytes(32)), ("ab" * 32, 7), True)
    assert decode_answer(ENCODER.encode(written)) == written
    assert decode_answer(ENCODER.encode(Refused("IntegrityError: x"))) == Refused("IntegrityError: x")
    with pytest.raises(ProtocolError, match=r"answer of .* bytes is unreadable"):
        decode_answer(ENCODER.encode(["ok", 12, None, None, True]))


def test_messages_are_framed_by_their_length_and_the_end_of_the_pipe_is_none() -> None:
    pipe = io.BytesIO()
    send(pipe, ENCODER.encode(Commit()))
    send(pipe, b"")
    pipe.seek(0)
    assert receive(pipe) == ENCODER.encode(Commit())
    assert receive(pipe) == b""
    assert receive(pipe) is None
