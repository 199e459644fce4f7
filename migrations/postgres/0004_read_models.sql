-- Read models: the projections' temporal views (see projections/base.py) and their tracking.
-- Rebuildable from the log at any time, so (unlike the event tables) the application may change them.
-- Columns mirror the projections' row types (tests/integration/test_read_model_tables.py checks).

CREATE TABLE IF NOT EXISTS rm_tracking (projection text PRIMARY KEY, position bigint NOT NULL);

-- portfolio: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_positions (
    seq bigint PRIMARY KEY,
    valid_from bigint NOT NULL,
    valid_to bigint,
    ts bigint NOT NULL,
    account text NOT NULL,
    strategy_id text NOT NULL,
    symbol text NOT NULL,
    quantity numeric NOT NULL,
    average_price numeric NOT NULL,
    cost_basis numeric NOT NULL,
    realized_pnl numeric NOT NULL,
    fees numeric NOT NULL,
    fills bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_positions_valid_from ON rm_positions (valid_from);
CREATE INDEX IF NOT EXISTS rm_positions_ts ON rm_positions (ts);
CREATE INDEX IF NOT EXISTS rm_positions_current ON rm_positions (account, strategy_id, symbol) WHERE valid_to IS NULL;

-- portfolio: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_cash (
    seq bigint PRIMARY KEY,
    valid_from bigint NOT NULL,
    valid_to bigint,
    ts bigint NOT NULL,
    account text NOT NULL,
    starting_cash numeric NOT NULL,
    cash numeric NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_cash_valid_from ON rm_cash (valid_from);
CREATE INDEX IF NOT EXISTS rm_cash_ts ON rm_cash (ts);
CREATE INDEX IF NOT EXISTS rm_cash_current ON rm_cash (account) WHERE valid_to IS NULL;

-- portfolio: history (append-only)
CREATE TABLE IF NOT EXISTS rm_equity (
    seq bigint PRIMARY KEY,
    valid_from bigint NOT NULL,
    valid_to bigint,
    ts bigint NOT NULL,
    account text NOT NULL,
    symbol text NOT NULL,
    mark numeric NOT NULL,
    cash numeric NOT NULL,
    equity numeric NOT NULL,
    high_water numeric NOT NULL,
    drawdown_pct numeric NOT NULL,
    realized_pnl numeric NOT NULL,
    unrealized_pnl numeric NOT NULL,
    fees numeric NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_equity_valid_from ON rm_equity (valid_from);
CREATE INDEX IF NOT EXISTS rm_equity_ts ON rm_equity (ts);

-- portfolio: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_daily_pnl (
    seq bigint PRIMARY KEY,
    valid_from bigint NOT NULL,
    valid_to bigint,
    ts bigint NOT NULL,
    account text NOT NULL,
    strategy_id text NOT NULL,
    symbol text NOT NULL,
    day text NOT NULL,
    realized_pnl numeric NOT NULL,
    unrealized_pnl numeric NOT NULL,
    fees numeric NOT NULL,
    fills bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_daily_pnl_valid_from ON rm_daily_pnl (valid_from);
CREATE INDEX IF NOT EXISTS rm_daily_pnl_ts ON rm_daily_pnl (ts);
CREATE INDEX IF NOT EXISTS rm_daily_pnl_current ON rm_daily_pnl (account, strategy_id, symbol, day) WHERE valid_to IS NULL;

-- orders: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_orders (
    seq bigint PRIMARY KEY,
    valid_from bigint NOT NULL,
    valid_to bigint,
    ts bigint NOT NULL,
    order_id text NOT NULL,
    account text NOT NULL,
    strategy_id text NOT NULL,
    symbol text NOT NULL,
    venue text NOT NULL,
    side text NOT NULL,
    order_type text NOT NULL,
    purpose text NOT NULL,
    quantity numeric NOT NULL,
    limit_price numeric,
    status text NOT NULL,
    reason text NOT NULL,
    reference_price numeric NOT NULL,
    limits_version text NOT NULL,
    filled_quantity numeric NOT NULL,
    average_fill_price numeric,
    fees numeric NOT NULL,
    slippage_bps numeric,
    submitted_ts bigint,
    latency_ns bigint
);
CREATE INDEX IF NOT EXISTS rm_orders_valid_from ON rm_orders (valid_from);
CREATE INDEX IF NOT EXISTS rm_orders_ts ON rm_orders (ts);
CREATE INDEX IF NOT EXISTS rm_orders_current ON rm_orders (order_id) WHERE valid_to IS NULL;

-- orders: history (append-only)
CREATE TABLE IF NOT EXISTS rm_fills (
    seq bigint PRIMARY KEY,
    valid_from bigint NOT NULL,
    valid_to bigint,
    ts bigint NOT NULL,
    trade_id text NOT NULL,
    order_id text NOT NULL,
    account text NOT NULL,
    strategy_id text NOT NULL,
    symbol text NOT NULL,
    venue text NOT NULL,
    side text NOT NULL,
    quantity numeric NOT NULL,
    price numeric NOT NULL,
    fee numeric NOT NULL,
    expected_price numeric NOT NULL,
    slippage_bps numeric NOT NULL,
    latency_ns bigint
);
CREATE INDEX IF NOT EXISTS rm_fills_valid_from ON rm_fills (valid_from);
CREATE INDEX IF NOT EXISTS rm_fills_ts ON rm_fills (ts);

-- breakers: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_breakers (
    seq bigint PRIMARY KEY,
    valid_from bigint NOT NULL,
    valid_to bigint,
    ts bigint NOT NULL,
    account text NOT NULL,
    scope text NOT NULL,
    state text NOT NULL,
    previous text NOT NULL,
    reason text NOT NULL,
    drawdown_pct numeric NOT NULL,
    daily_loss_pct numeric NOT NULL,
    equity numeric NOT NULL,
    high_water numeric NOT NULL,
    limits_version text NOT NULL,
    transitions bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_breakers_valid_from ON rm_breakers (valid_from);
CREATE INDEX IF NOT EXISTS rm_breakers_ts ON rm_breakers (ts);
CREATE INDEX IF NOT EXISTS rm_breakers_current ON rm_breakers (account, scope) WHERE valid_to IS NULL;

-- breakers: history (append-only)
CREATE TABLE IF NOT EXISTS rm_operator_commands (
    seq bigint PRIMARY KEY,
    valid_from bigint NOT NULL,
    valid_to bigint,
    ts bigint NOT NULL,
    account text NOT NULL,
    command text NOT NULL,
    scope text NOT NULL,
    issued_by text NOT NULL,
    reason text NOT NULL,
    outcome text NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_operator_commands_valid_from ON rm_operator_commands (valid_from);
CREATE INDEX IF NOT EXISTS rm_operator_commands_ts ON rm_operator_commands (ts);

-- execution_quality: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_execution_quality (
    seq bigint PRIMARY KEY,
    valid_from bigint NOT NULL,
    valid_to bigint,
    ts bigint NOT NULL,
    venue text NOT NULL,
    orders bigint NOT NULL,
    acknowledged bigint NOT NULL,
    rejected bigint NOT NULL,
    errors bigint NOT NULL,
    cancelled bigint NOT NULL,
    fills bigint NOT NULL,
    reject_rate_pct numeric NOT NULL,
    error_rate_pct numeric NOT NULL,
    latency_p50_ns bigint,
    latency_p95_ns bigint,
    latency_p99_ns bigint,
    latency_max_ns bigint,
    average_slippage_bps numeric,
    worst_slippage_bps numeric
);
CREATE INDEX IF NOT EXISTS rm_execution_quality_valid_from ON rm_execution_quality (valid_from);
CREATE INDEX IF NOT EXISTS rm_execution_quality_ts ON rm_execution_quality (ts);
CREATE INDEX IF NOT EXISTS rm_execution_quality_current ON rm_execution_quality (venue) WHERE valid_to IS NULL;

-- strategy_performance: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_strategy_performance (
    seq bigint PRIMARY KEY,
    valid_from bigint NOT NULL,
    valid_to bigint,
    ts bigint NOT NULL,
    account text NOT NULL,
    strategy_id text NOT NULL,
    trades bigint NOT NULL,
    wins bigint NOT NULL,
    losses bigint NOT NULL,
    win_rate_pct numeric NOT NULL,
    net_pnl numeric NOT NULL,
    gross_profit numeric NOT NULL,
    gross_loss numeric NOT NULL,
    profit_factor numeric,
    return_pct numeric NOT NULL,
    sharpe numeric,
    max_drawdown_pct numeric NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_strategy_performance_valid_from ON rm_strategy_performance (valid_from);
CREATE INDEX IF NOT EXISTS rm_strategy_performance_ts ON rm_strategy_performance (ts);
CREATE INDEX IF NOT EXISTS rm_strategy_performance_current ON rm_strategy_performance (account, strategy_id) WHERE valid_to IS NULL;

-- API keys: only a SHA-256 of each key is stored.
CREATE TABLE IF NOT EXISTS api_keys (key_id text PRIMARY KEY, name text NOT NULL, role text NOT NULL CHECK (role IN ('viewer', 'auditor', 'operator')), key_hash bytea NOT NULL, created_at text NOT NULL, revoked boolean NOT NULL DEFAULT false);

GRANT SELECT, INSERT, UPDATE, DELETE ON rm_tracking, rm_positions, rm_cash, rm_equity, rm_daily_pnl, rm_orders, rm_fills, rm_breakers, rm_operator_commands, rm_execution_quality, rm_strategy_performance TO memesnipe_app;
GRANT SELECT ON rm_tracking, rm_positions, rm_cash, rm_equity, rm_daily_pnl, rm_orders, rm_fills, rm_breakers, rm_operator_commands, rm_execution_quality, rm_strategy_performance TO memesnipe_auditor;
GRANT SELECT ON api_keys TO memesnipe_app;
