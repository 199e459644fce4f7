-- sessions: the session in force per account, versioned at each start and end (projections/sessions.py).
CREATE TABLE IF NOT EXISTS rm_sessions (
    seq bigint PRIMARY KEY,
    valid_from bigint NOT NULL,
    valid_to bigint,
    ts bigint NOT NULL,
    account text NOT NULL,
    session_id text NOT NULL,
    mode text NOT NULL,
    currency text NOT NULL,
    starting_cash numeric NOT NULL,
    venue text NOT NULL,
    strategies text NOT NULL,
    code_version text NOT NULL,
    started_id bigint NOT NULL,
    ended bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_sessions_valid_from ON rm_sessions (valid_from);
CREATE INDEX IF NOT EXISTS rm_sessions_ts ON rm_sessions (ts);
CREATE INDEX IF NOT EXISTS rm_sessions_current ON rm_sessions (account) WHERE valid_to IS NULL;
GRANT SELECT, INSERT, UPDATE, DELETE ON rm_sessions TO memesnipe_app;
GRANT SELECT ON rm_sessions TO memesnipe_auditor;
