-- Events are never changed or removed: triggers for everyone, grants for the roles.
CREATE OR REPLACE FUNCTION memesnipe_refuse_event_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

DROP TRIGGER IF EXISTS ledger_events_refuse_update_delete ON ledger_events;
CREATE TRIGGER ledger_events_refuse_update_delete
    BEFORE UPDATE OR DELETE ON ledger_events
    FOR EACH ROW EXECUTE FUNCTION memesnipe_refuse_event_change();

DROP TRIGGER IF EXISTS ledger_events_refuse_truncate ON ledger_events;
CREATE TRIGGER ledger_events_refuse_truncate
    BEFORE TRUNCATE ON ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION memesnipe_refuse_event_change();

-- Roles are cluster-wide: create them once, tolerate a concurrent creator.
DO $$
BEGIN
    CREATE ROLE memesnipe_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$
BEGIN
    CREATE ROLE memesnipe_auditor NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO memesnipe_app, memesnipe_auditor', current_schema());
END $$;
REVOKE ALL ON ledger_events FROM PUBLIC;
GRANT SELECT, INSERT, TRUNCATE ON ledger_events TO memesnipe_app;
GRANT USAGE, SELECT ON SEQUENCE ledger_events_notification_id_seq TO memesnipe_app;
GRANT SELECT ON ledger_events TO memesnipe_auditor;
GRANT SELECT ON memesnipe_schema_version TO memesnipe_app, memesnipe_auditor;
