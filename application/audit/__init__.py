"""Audit use cases: verifying the hash chain (more to come: checkpoints, causation, exports)."""
