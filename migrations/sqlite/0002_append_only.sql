-- Events are never changed or removed.
CREATE TRIGGER IF NOT EXISTS stored_events_refuse_update
    BEFORE UPDATE ON stored_events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE on stored_events refused');
END;

CREATE TRIGGER IF NOT EXISTS stored_events_refuse_delete
    BEFORE DELETE ON stored_events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: DELETE on stored_events refused');
END;
