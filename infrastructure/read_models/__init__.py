"""SQL views of the projections (SQLite and PostgreSQL), and the projection daemon."""
