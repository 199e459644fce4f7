-- The hash chain over stored_events, written in the same transaction as the events.
CREATE TABLE IF NOT EXISTS stored_chain (
    notification_id INTEGER PRIMARY KEY,
    originator_id TEXT NOT NULL,
    originator_version INTEGER NOT NULL,
    hash BLOB NOT NULL
);

CREATE TRIGGER IF NOT EXISTS stored_chain_refuse_update
    BEFORE UPDATE ON stored_chain
BEGIN
    SELECT RAISE(ABORT, 'the audit chain is append-only: UPDATE on stored_chain refused');
END;

CREATE TRIGGER IF NOT EXISTS stored_chain_refuse_delete
    BEFORE DELETE ON stored_chain
BEGIN
    SELECT RAISE(ABORT, 'the audit chain is append-only: DELETE on stored_chain refused');
END;
