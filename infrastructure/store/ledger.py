"""The ledger: the ``eventsourcing`` Application that owns the log of one account.

Its mapper uses the msgspec codec instead of the library's JSON transcoder
(which would silently turn Decimal and UUID into str). It reads its settings
only from the dict the composition root gives it, never from ``os.environ``.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import Environment, EnvType

from domain.events import Event
from infrastructure.store.codec import EventCodec


class _UnusedTranscoder(Transcoder):
    def encode(self, obj: object) -> bytes:
        raise NotImplementedError("events are encoded by EventCodec")

    def decode(self, data: bytes) -> object:
        raise NotImplementedError("events are decoded by EventCodec")


class MsgspecMapper(Mapper[UUID]):
    """Maps our msgspec events to the library's stored events and back."""

    def __init__(self, codec: EventCodec) -> None:
        super().__init__(transcoder=_UnusedTranscoder())
        self.codec = codec

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """Stored form of one of our events (topic from the class, bytes from the codec)."""
        assert isinstance(domain_event, Event)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=type(domain_event).TOPIC,
            state=self.codec.encode(domain_event),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """Our event back from its stored form."""
        return self.codec.decode(stored_event.topic, stored_event.state)


class Ledger(Application[UUID]):
    """The single writer of one account's log (table ``ledger_events`` on PostgreSQL)."""

    name = "Ledger"

    def __init__(self, env: EnvType, codec: EventCodec | None = None) -> None:
        self.codec = codec or EventCodec()
        super().__init__(env)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """Only the given settings: the composition root has already read the environment."""
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        """The msgspec mapper, never the JSON transcoder."""
        return MsgspecMapper(self.codec)
