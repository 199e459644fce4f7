"""Venues behind the exchange-client port: the simulated venue (ccxt venues follow)."""
