"""The trading engine: one deterministic decision core for backtest, shadow, paper and live."""
