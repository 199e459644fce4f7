-- Read models: the projections' temporal views (see projections/base.py) and their tracking.
-- Rebuildable from the log at any time, so (unlike the event tables) the application may change them.
-- Columns mirror the projections' row types (tests/integration/test_read_model_tables.py checks).

CREATE TABLE IF NOT EXISTS rm_tracking (projection TEXT PRIMARY KEY, position INTEGER NOT NULL);

-- portfolio: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_positions (
    seq INTEGER PRIMARY KEY,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    ts INTEGER NOT NULL,
    account TEXT NOT NULL,
    strategy_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    quantity TEXT NOT NULL,
    average_price TEXT NOT NULL,
    cost_basis TEXT NOT NULL,
    realized_pnl TEXT NOT NULL,
    fees TEXT NOT NULL,
    fills INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_positions_valid_from ON rm_positions (valid_from);
CREATE INDEX IF NOT EXISTS rm_positions_ts ON rm_positions (ts);
CREATE INDEX IF NOT EXISTS rm_positions_current ON rm_positions (account, strategy_id, symbol) WHERE valid_to IS NULL;

-- portfolio: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_cash (
    seq INTEGER PRIMARY KEY,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    ts INTEGER NOT NULL,
    account TEXT NOT NULL,
    starting_cash TEXT NOT NULL,
    cash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_cash_valid_from ON rm_cash (valid_from);
CREATE INDEX IF NOT EXISTS rm_cash_ts ON rm_cash (ts);
CREATE INDEX IF NOT EXISTS rm_cash_current ON rm_cash (account) WHERE valid_to IS NULL;

-- portfolio: history (append-only)
CREATE TABLE IF NOT EXISTS rm_equity (
    seq INTEGER PRIMARY KEY,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    ts INTEGER NOT NULL,
    account TEXT NOT NULL,
    symbol TEXT NOT NULL,
    mark TEXT NOT NULL,
    cash TEXT NOT NULL,
    equity TEXT NOT NULL,
    high_water TEXT NOT NULL,
    drawdown_pct TEXT NOT NULL,
    realized_pnl TEXT NOT NULL,
    unrealized_pnl TEXT NOT NULL,
    fees TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_equity_valid_from ON rm_equity (valid_from);
CREATE INDEX IF NOT EXISTS rm_equity_ts ON rm_equity (ts);

-- portfolio: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_daily_pnl (
    seq INTEGER PRIMARY KEY,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    ts INTEGER NOT NULL,
    account TEXT NOT NULL,
    strategy_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    day TEXT NOT NULL,
    realized_pnl TEXT NOT NULL,
    unrealized_pnl TEXT NOT NULL,
    fees TEXT NOT NULL,
    fills INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_daily_pnl_valid_from ON rm_daily_pnl (valid_from);
CREATE INDEX IF NOT EXISTS rm_daily_pnl_ts ON rm_daily_pnl (ts);
CREATE INDEX IF NOT EXISTS rm_daily_pnl_current ON rm_daily_pnl (account, strategy_id, symbol, day) WHERE valid_to IS NULL;

-- orders: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_orders (
    seq INTEGER PRIMARY KEY,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    ts INTEGER NOT NULL,
    order_id TEXT NOT NULL,
    account TEXT NOT NULL,
    strategy_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    venue TEXT NOT NULL,
    side TEXT NOT NULL,
    order_type TEXT NOT NULL,
    purpose TEXT NOT NULL,
    quantity TEXT NOT NULL,
    limit_price TEXT,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    reference_price TEXT NOT NULL,
    limits_version TEXT NOT NULL,
    filled_quantity TEXT NOT NULL,
    average_fill_price TEXT,
    fees TEXT NOT NULL,
    slippage_bps TEXT,
    submitted_ts INTEGER,
    latency_ns INTEGER
);
CREATE INDEX IF NOT EXISTS rm_orders_valid_from ON rm_orders (valid_from);
CREATE INDEX IF NOT EXISTS rm_orders_ts ON rm_orders (ts);
CREATE INDEX IF NOT EXISTS rm_orders_current ON rm_orders (order_id) WHERE valid_to IS NULL;

-- orders: history (append-only)
CREATE TABLE IF NOT EXISTS rm_fills (
    seq INTEGER PRIMARY KEY,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    ts INTEGER NOT NULL,
    trade_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    account TEXT NOT NULL,
    strategy_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    venue TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity TEXT NOT NULL,
    price TEXT NOT NULL,
    fee TEXT NOT NULL,
    expected_price TEXT NOT NULL,
    slippage_bps TEXT NOT NULL,
    latency_ns INTEGER
);
CREATE INDEX IF NOT EXISTS rm_fills_valid_from ON rm_fills (valid_from);
CREATE INDEX IF NOT EXISTS rm_fills_ts ON rm_fills (ts);

-- breakers: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_breakers (
    seq INTEGER PRIMARY KEY,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    ts INTEGER NOT NULL,
    account TEXT NOT NULL,
    scope TEXT NOT NULL,
    state TEXT NOT NULL,
    previous TEXT NOT NULL,
    reason TEXT NOT NULL,
    drawdown_pct TEXT NOT NULL,
    daily_loss_pct TEXT NOT NULL,
    equity TEXT NOT NULL,
    high_water TEXT NOT NULL,
    limits_version TEXT NOT NULL,
    transitions INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_breakers_valid_from ON rm_breakers (valid_from);
CREATE INDEX IF NOT EXISTS rm_breakers_ts ON rm_breakers (ts);
CREATE INDEX IF NOT EXISTS rm_breakers_current ON rm_breakers (account, scope) WHERE valid_to IS NULL;

-- breakers: history (append-only)
CREATE TABLE IF NOT EXISTS rm_operator_commands (
    seq INTEGER PRIMARY KEY,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    ts INTEGER NOT NULL,
    account TEXT NOT NULL,
    command TEXT NOT NULL,
    scope TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_operator_commands_valid_from ON rm_operator_commands (valid_from);
CREATE INDEX IF NOT EXISTS rm_operator_commands_ts ON rm_operator_commands (ts);

-- execution_quality: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_execution_quality (
    seq INTEGER PRIMARY KEY,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    ts INTEGER NOT NULL,
    venue TEXT NOT NULL,
    orders INTEGER NOT NULL,
    acknowledged INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    cancelled INTEGER NOT NULL,
    fills INTEGER NOT NULL,
    reject_rate_pct TEXT NOT NULL,
    error_rate_pct TEXT NOT NULL,
    latency_p50_ns INTEGER,
    latency_p95_ns INTEGER,
    latency_p99_ns INTEGER,
    latency_max_ns INTEGER,
    average_slippage_bps TEXT,
    worst_slippage_bps TEXT
);
CREATE INDEX IF NOT EXISTS rm_execution_quality_valid_from ON rm_execution_quality (valid_from);
CREATE INDEX IF NOT EXISTS rm_execution_quality_ts ON rm_execution_quality (ts);
CREATE INDEX IF NOT EXISTS rm_execution_quality_current ON rm_execution_quality (venue) WHERE valid_to IS NULL;

-- strategy_performance: state (one current version per key)
CREATE TABLE IF NOT EXISTS rm_strategy_performance (
    seq INTEGER PRIMARY KEY,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    ts INTEGER NOT NULL,
    account TEXT NOT NULL,
    strategy_id TEXT NOT NULL,
    trades INTEGER NOT NULL,
    wins INTEGER NOT NULL,
    losses INTEGER NOT NULL,
    win_rate_pct TEXT NOT NULL,
    net_pnl TEXT NOT NULL,
    gross_profit TEXT NOT NULL,
    gross_loss TEXT NOT NULL,
    profit_factor TEXT,
    return_pct TEXT NOT NULL,
    sharpe TEXT,
    max_drawdown_pct TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_strategy_performance_valid_from ON rm_strategy_performance (valid_from);
CREATE INDEX IF NOT EXISTS rm_strategy_performance_ts ON rm_strategy_performance (ts);
CREATE INDEX IF NOT EXISTS rm_strategy_performance_current ON rm_strategy_performance (account, strategy_id) WHERE valid_to IS NULL;

-- API keys: only a SHA-256 of each key is stored.
CREATE TABLE IF NOT EXISTS api_keys (key_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('viewer', 'auditor', 'operator')), key_hash BLOB NOT NULL, created_at TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
