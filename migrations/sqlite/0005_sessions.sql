-- sessions: the session in force per account, versioned at each start and end (projections/sessions.py).
CREATE TABLE IF NOT EXISTS rm_sessions (
    seq INTEGER PRIMARY KEY,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    ts INTEGER NOT NULL,
    account TEXT NOT NULL,
    session_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    currency TEXT NOT NULL,
    starting_cash TEXT NOT NULL,
    venue TEXT NOT NULL,
    strategies TEXT NOT NULL,
    code_version TEXT NOT NULL,
    started_id INTEGER NOT NULL,
    ended INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_sessions_valid_from ON rm_sessions (valid_from);
CREATE INDEX IF NOT EXISTS rm_sessions_ts ON rm_sessions (ts);
CREATE INDEX IF NOT EXISTS rm_sessions_current ON rm_sessions (account) WHERE valid_to IS NULL;
