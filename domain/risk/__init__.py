"""Risk: versioned limits, tiered circuit breakers with gradual recovery, exposure caps."""
