"""The one thing pyproject.toml does not say: two optional C modules of the store.

``infrastructure/store/_chain.c`` (the hash chain's batch linker, OpenSSL's SHA-256) and
``infrastructure/store/_loader.c`` (a run log's batches inserted and linked in C; SQLite's and
OpenSSL's headers) are optional: where one cannot be built (no compiler, no headers) the build
goes on without it, and the same work is done by the Python code, more slowly
(``infrastructure/store/chain_linker.py``, ``infrastructure/store/bulk_loader.py``).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "infrastructure.store._chain",
            sources=["infrastructure/store/_chain.c"],
            depends=["infrastructure/store/chain_link.h"],
            libraries=["crypto"],
            optional=True,
        ),
        Extension(
            "infrastructure.store._loader",
            sources=["infrastructure/store/_loader.c"],
            depends=["infrastructure/store/chain_link.h"],
            libraries=["sqlite3", "crypto"],
            optional=True,
        ),
    ]
)
