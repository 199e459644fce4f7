"""Audit infrastructure: the checkpoint signing key."""
