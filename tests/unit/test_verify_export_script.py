"""The stand-alone verifier's own cryptography agrees with the project's and with `cryptography`.

The script re-implements the chain's canonical encoding, the checkpoint message and Ed25519
verification (RFC 8032's reference code) so that it needs only the standard library; these
tests hold each re-implementation to the real thing, on valid and on invalid input.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.audit.chain import canonical, checkpoint_message
from infrastructure.audit.signing import signature_valid
from tests.verifier import verifier

TOPICS = st.text(min_size=1, max_size=40)
IDS = st.integers(min_value=0, max_value=2**63 - 1)

# RFC 8032, section 7.1, TEST 1 (empty message) and TEST 2 (one byte).
RFC_VECTORS = [
    (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@settings(max_examples=300)
@given(IDS, st.binary(min_size=16, max_size=16), IDS, TOPICS, st.binary(max_size=600))
def test_the_scripts_canonical_encoding_is_the_chains(
    notification_id: int, originator: bytes, version: int, topic: str, state: bytes
) -> None:
    ours = verifier().canonical(notification_id, originator, version, topic, state)
    assert ours == canonical(notification_id, originator, version, topic, state)


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.binary(min_size=32, max_size=32))
def test_the_scripts_checkpoint_message_is_the_projects(head_id: int, head_hash: bytes) -> None:
    assert verifier().checkpoint_message(head_id, head_hash) == checkpoint_message(head_id, head_hash)


def test_the_rfc_8032_vectors_verify_and_a_changed_byte_does_not() -> None:
    valid = verifier().ed25519_valid
    for key, message, signature in RFC_VECTORS:
        k, m, s = bytes.fromhex(key), bytes.fromhex(message), bytes.fromhex(signature)
        assert valid(k, m, s) and signature_valid(k, m, s)
        broken = s[:10] + bytes([s[10] ^ 1]) + s[11:]
        assert not valid(k, m, broken) and not signature_valid(k, m, broken)


def _keys(seed: bytes) -> tuple[Ed25519PrivateKey, bytes]:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    return key, key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(max_size=200), st.integers(0, 64 * 8 - 1))
def test_ed25519_agrees_with_cryptography_on_valid_and_tampered_signatures(
    seed: bytes, message: bytes, bit: int
) -> None:
    valid = verifier().ed25519_valid
    key, public = _keys(seed)
    signature = key.sign(message)
    assert valid(public, message, signature) is True
    flipped = bytearray(signature)
    flipped[bit // 8] ^= 1 << (bit % 8)
    assert valid(public, message, bytes(flipped)) is signature_valid(public, message, bytes(flipped)) is False
    assert valid(public, message + b"x", signature) is signature_valid(public, message + b"x", signature)
    assert valid(public, message + b"x", signature) is False


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32), st.binary(max_size=64))
def test_ed25519_agrees_with_cryptography_on_another_key_and_on_garbage(
    seed: bytes, other_seed: bytes, garbage: bytes
) -> None:
    valid = verifier().ed25519_valid
    key, _ = _keys(seed)
    _, other = _keys(other_seed)
    message = b"memesnipe"
    signature = key.sign(message)
    assert valid(other, message, signature) is signature_valid(other, message, signature)
    junk = (garbage * 64)[:64] if garbage else bytes(64)
    assert valid(other, message, junk) is signature_valid(other, message, junk) is False


def test_a_signature_with_s_not_reduced_mod_q_is_refused_like_cryptography_does() -> None:
    v = verifier()
    key, public = _keys(bytes(range(32)))
    signature = key.sign(b"head")
    s = int.from_bytes(signature[32:], "little") + v.Q
    stretched = signature[:32] + s.to_bytes(32, "little")
    assert v.ed25519_valid(public, b"head", stretched) is signature_valid(public, b"head", stretched) is False


def test_keys_and_signatures_of_the_wrong_length_are_invalid_not_errors() -> None:
    valid = verifier().ed25519_valid
    assert not valid(bytes(31), b"m", bytes(64))
    assert not valid(bytes(32), b"m", bytes(63))
