"""The event store: the ``eventsourcing`` ledger application, its codec, fast append and read paths."""
