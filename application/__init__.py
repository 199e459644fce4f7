"""Use cases: ingestion, (next) the engine and replay. Talks to the world only through ports."""
