"""Audit: the hash chain that makes the log tamper-evident."""
