"""The pure core: events, value objects, rules. No I/O, no clock, no randomness.

Imports only the standard library, msgspec and ``eventsourcing.domain``
(enforced by import-linter and ``tests/unit/test_architecture.py``).
"""
