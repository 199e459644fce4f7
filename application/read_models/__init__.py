"""The read side's use cases: running projections into their views, and reading views."""
