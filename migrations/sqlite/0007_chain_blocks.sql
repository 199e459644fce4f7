-- The hash chain stored one row per appended batch, written in the append's transaction:
-- last_id and first_id bound the batch's rowids; links packs, per event in order,
-- notification id (8 bytes) || originator id (16) || version (8) || hash (32).
-- stored_chain (0003, one row per event) keeps the links written before this migration.
CREATE TABLE IF NOT EXISTS stored_chain_blocks (
    last_id INTEGER PRIMARY KEY,
    first_id INTEGER NOT NULL,
    links BLOB NOT NULL,
    CHECK (first_id <= last_id AND length(links) % 64 = 0 AND length(links) > 0)
);

CREATE TRIGGER IF NOT EXISTS stored_chain_blocks_refuse_update
    BEFORE UPDATE ON stored_chain_blocks
BEGIN
    SELECT RAISE(ABORT, 'the audit chain is append-only: UPDATE on stored_chain_blocks refused');
END;

CREATE TRIGGER IF NOT EXISTS stored_chain_blocks_refuse_delete
    BEFORE DELETE ON stored_chain_blocks
BEGIN
    SELECT RAISE(ABORT, 'the audit chain is append-only: DELETE on stored_chain_blocks refused');
END;
