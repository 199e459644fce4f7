-- The hash chain stored one row per appended batch, written in the append's transaction:
-- last_id and first_id bound the batch's notification ids; links packs, per event in order,
-- notification id (8 bytes) || originator id (16) || version (8) || hash (32).
-- ledger_chain (0003, one row per event) keeps the links written before this migration.
CREATE TABLE IF NOT EXISTS ledger_chain_blocks (
    last_id bigint PRIMARY KEY,
    first_id bigint NOT NULL,
    links bytea NOT NULL,
    CHECK (first_id <= last_id AND length(links) % 64 = 0 AND length(links) > 0)
);
-- Hashes do not compress: store the bodies out of line without trying.
ALTER TABLE ledger_chain_blocks ALTER COLUMN links SET STORAGE EXTERNAL;

DROP TRIGGER IF EXISTS ledger_chain_blocks_refuse_update_delete ON ledger_chain_blocks;
CREATE TRIGGER ledger_chain_blocks_refuse_update_delete
    BEFORE UPDATE OR DELETE ON ledger_chain_blocks
    FOR EACH ROW EXECUTE FUNCTION memesnipe_refuse_event_change();

DROP TRIGGER IF EXISTS ledger_chain_blocks_refuse_truncate ON ledger_chain_blocks;
CREATE TRIGGER ledger_chain_blocks_refuse_truncate
    BEFORE TRUNCATE ON ledger_chain_blocks
    FOR EACH STATEMENT EXECUTE FUNCTION memesnipe_refuse_event_change();

REVOKE ALL ON ledger_chain_blocks FROM PUBLIC;
GRANT SELECT, INSERT ON ledger_chain_blocks TO memesnipe_app;
GRANT SELECT ON ledger_chain_blocks TO memesnipe_auditor;
