"""The read-model API (FastAPI): versioned read routes, auditor and operator routes, the dashboard."""
