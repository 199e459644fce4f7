"""Adapters and entry points: stores, feeds, CLI, API; ``bootstrap`` wires them.

Errors raised here derive from ``InfrastructureError`` (see ``infrastructure.errors``).
"""
