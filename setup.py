"""The one thing pyproject.toml does not say: the hash chain's batch linker in C.

``infrastructure/store/_chain.c`` (OpenSSL's SHA-256) is optional: where it cannot be built (no
compiler, no OpenSSL headers) the build goes on without it, and the same links come from the
Python code, more slowly (``infrastructure/store/chain_linker.py``).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "infrastructure.store._chain",
            sources=["infrastructure/store/_chain.c"],
            libraries=["crypto"],
            optional=True,
        )
    ]
)
