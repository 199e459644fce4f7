"""Point in time: turn an ``as_of`` (a notification id, or a timestamp) into a notification id.

A timestamp means "just after the last event stamped at or before it". Events are
found by binary search over notification ids on the log itself, which relies on
the log being in event-time order: true for a session's log, whose inputs the
engine takes in time order and whose decisions carry their input's time.
Events without a time of their own (a session's configuration) count as earlier.
"""

from __future__ import annotations

from application.errors import ApplicationError
from application.ports import EventLog
from domain.errors import InvalidMarketData
from domain.market.values import parse_timestamp


class AsOfNotReady(ApplicationError):
    """The views have not reached the asked moment yet: ask again later or for an earlier one."""


class BadAsOf(ApplicationError):
    """``as_of`` is neither a notification id nor a timestamp."""


def _time_of(log: EventLog, after: int) -> tuple[int, int | None] | None:
    for page in log.read(after=after, page_size=1):
        for recorded in page:
            return recorded.notification_id, getattr(recorded.event, "ts_event", None)
    return None


def notification_at(log: EventLog, ts_ns: int) -> int:
    """The id of the last event stamped at or before ``ts_ns`` (0 if none)."""
    low, high = 0, log.last_notification_id()
    found = 0
    while low < high:  # invariant: every event with id <= low is at or before ts_ns
        mid = (low + high) // 2
        probe = _time_of(log, mid)
        if probe is None:
            break
        event_id, ts = probe
        if ts is None or ts <= ts_ns:
            found = event_id
            low = event_id
        else:
            high = mid
    return found


def resolve_as_of(log: EventLog, as_of: str | None, reached: int) -> int | None:
    """The notification id meant by ``as_of`` (None for "now").

    An integer is a notification id; anything else is parsed as a timestamp
    (ISO-8601). Raises BadAsOf, or AsOfNotReady when the views (at ``reached``)
    have not applied that moment yet.
    """
    if as_of is None or as_of == "":
        return None
    if as_of.isascii() and as_of.isdigit():  # "³".isdigit() is True, but int() refuses it
        wanted = int(as_of)
    else:
        try:
            ts_ns = parse_timestamp(as_of)
        except InvalidMarketData as e:
            raise BadAsOf(f"as_of must be a notification id or an ISO-8601 timestamp: {e}") from None
        wanted = notification_at(log, ts_ns)
    if wanted > reached:
        raise AsOfNotReady(
            f"the views have applied the log up to notification id {reached}; as_of {as_of} "
            f"is notification id {wanted}"
        )
    return wanted
