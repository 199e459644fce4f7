"""The Ed25519 key that signs chain checkpoints.

The private key lives in a file (``MEMESNIPE_AUDIT_KEY`` or ``<data dir>/audit-signing-key.pem``),
created on first use with owner-only permissions. It never reaches a log, an event or an
error message: events carry only the public key and signatures.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from infrastructure.errors import ConfigError


class FileSigner:
    """Signs with the key in ``path`` (made there on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key = self._load_or_create()

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte public key, safe to publish."""
        return self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def sign(self, message: bytes) -> bytes:
        """An Ed25519 signature of ``message``."""
        return self._key.sign(message)

    def _load_or_create(self) -> Ed25519PrivateKey:
        if self.path.exists():
            try:
                key = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
            except (ValueError, TypeError):
                raise ConfigError(f"{self.path} is not a PEM Ed25519 private key") from None
            if not isinstance(key, Ed25519PrivateKey):
                raise ConfigError(f"{self.path} holds a key that is not Ed25519")
            return key
        key = Ed25519PrivateKey.generate()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        return key


def signature_valid(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s Ed25519 signature of ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def key_path(data_dir: Path) -> Path:
    """Where the signing key is: ``MEMESNIPE_AUDIT_KEY`` or the data directory."""
    override = os.environ.get("MEMESNIPE_AUDIT_KEY")
    return Path(override) if override else data_dir / "audit-signing-key.pem"
