"""Sources of market data: CSV exports and the seeded synthetic market."""
