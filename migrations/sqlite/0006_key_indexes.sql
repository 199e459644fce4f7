-- State tables: (1) each key with valid_from, for all versions, so a key's history and its
-- version as of a moment are index lookups (the blotter's status history, causation, positions
-- as of a fill); (2) the current versions in seq order, so a "now" page reads only current
-- rows instead of walking every version. 0004's partial key indexes stay: the UPDATE that
-- supersedes a version uses them.
CREATE INDEX IF NOT EXISTS rm_positions_key ON rm_positions (account, strategy_id, symbol, valid_from);
CREATE INDEX IF NOT EXISTS rm_positions_live ON rm_positions (seq) WHERE valid_to IS NULL;
CREATE INDEX IF NOT EXISTS rm_cash_key ON rm_cash (account, valid_from);
CREATE INDEX IF NOT EXISTS rm_cash_live ON rm_cash (seq) WHERE valid_to IS NULL;
CREATE INDEX IF NOT EXISTS rm_daily_pnl_key ON rm_daily_pnl (account, strategy_id, symbol, day, valid_from);
CREATE INDEX IF NOT EXISTS rm_daily_pnl_live ON rm_daily_pnl (seq) WHERE valid_to IS NULL;
CREATE INDEX IF NOT EXISTS rm_orders_key ON rm_orders (order_id, valid_from);
CREATE INDEX IF NOT EXISTS rm_orders_live ON rm_orders (seq) WHERE valid_to IS NULL;
CREATE INDEX IF NOT EXISTS rm_breakers_key ON rm_breakers (account, scope, valid_from);
CREATE INDEX IF NOT EXISTS rm_breakers_live ON rm_breakers (seq) WHERE valid_to IS NULL;
CREATE INDEX IF NOT EXISTS rm_execution_quality_key ON rm_execution_quality (venue, valid_from);
CREATE INDEX IF NOT EXISTS rm_execution_quality_live ON rm_execution_quality (seq) WHERE valid_to IS NULL;
CREATE INDEX IF NOT EXISTS rm_strategy_performance_key ON rm_strategy_performance (account, strategy_id, valid_from);
CREATE INDEX IF NOT EXISTS rm_strategy_performance_live ON rm_strategy_performance (seq) WHERE valid_to IS NULL;
CREATE INDEX IF NOT EXISTS rm_sessions_key ON rm_sessions (account, valid_from);
CREATE INDEX IF NOT EXISTS rm_sessions_live ON rm_sessions (seq) WHERE valid_to IS NULL;
