"""Backtest reports: round-trip trades, the equity curve and the statistics."""
