"""Market-data rules: parsing and validating rows, and the live-feed guards."""
