-- The hash chain over ledger_events, written in the same transaction as the events.
CREATE TABLE IF NOT EXISTS ledger_chain (
    notification_id bigint PRIMARY KEY,
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    hash bytea NOT NULL
);

DROP TRIGGER IF EXISTS ledger_chain_refuse_update_delete ON ledger_chain;
CREATE TRIGGER ledger_chain_refuse_update_delete
    BEFORE UPDATE OR DELETE ON ledger_chain
    FOR EACH ROW EXECUTE FUNCTION memesnipe_refuse_event_change();

DROP TRIGGER IF EXISTS ledger_chain_refuse_truncate ON ledger_chain;
CREATE TRIGGER ledger_chain_refuse_truncate
    BEFORE TRUNCATE ON ledger_chain
    FOR EACH STATEMENT EXECUTE FUNCTION memesnipe_refuse_event_change();

REVOKE ALL ON ledger_chain FROM PUBLIC;
GRANT SELECT, INSERT ON ledger_chain TO memesnipe_app;
GRANT SELECT ON ledger_chain TO memesnipe_auditor;
