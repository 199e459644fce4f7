"""The one thing pyproject.toml does not say: the optional C modules.

- ``infrastructure/store/_loader.c``: a run log's batches inserted and linked (SQLite, OpenSSL;
  the links by ``chain_link.h``);
- ``infrastructure/store/_bar_columns.c``: pages of stored bars read packed and as columns
  (SQLite);
- ``domain/strategies/_sma_kernel.c``: sma_cross's integer steps over those columns;
- ``application/reporting/_equity_marks.c``: a report's marks of a position over those columns.

Each is optional: where one cannot be built (no compiler, no headers) the build goes on without
it, and the same work is done by the Python code, more slowly (``bulk_loader.py``,
``sqlite_log.py`` and ``bar_columns.py``, ``sma_state.py``, ``equity_curve.py``).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "infrastructure.store._loader",
            sources=["infrastructure/store/_loader.c"],
            depends=["infrastructure/store/chain_link.h"],
            libraries=["sqlite3", "crypto"],
            optional=True,
        ),
        Extension(
            "infrastructure.store._bar_columns",
            sources=["infrastructure/store/_bar_columns.c"],
            libraries=["sqlite3"],
            optional=True,
        ),
        Extension(
            "application.reporting._equity_marks",
            sources=["application/reporting/_equity_marks.c"],
            optional=True,
        ),
        Extension(
            "domain.strategies._sma_kernel",
            sources=["domain/strategies/_sma_kernel.c"],
            optional=True,
        ),
    ]
)
