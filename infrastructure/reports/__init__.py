"""Rendering reports for people: the backtest HTML page."""
