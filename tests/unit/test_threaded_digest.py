"""The inputs' digest hashed on a thread is the digest hashed in line, in the order given."""

from __future__ import annotations

import hashlib

from application.threaded_digest import ThreadedSha256


def test_pages_hashed_on_a_thread_give_the_digest_of_hashing_them_in_order() -> None:
    pages = [bytes([n]) * (n * 997) for n in range(1, 40)]  # small and large (the lock is let go)
    threaded, inline = ThreadedSha256(), hashlib.sha256()
    for page in pages[:20]:
        threaded.update(page)
        inline.update(page)
    threaded.close()
    assert threaded.hexdigest() == inline.hexdigest()
    for page in pages[20:]:  # after close: another worker, the same running digest
        threaded.update(page)
        inline.update(page)
    assert threaded.hexdigest() == inline.hexdigest()
    threaded.close()


def test_nothing_hashed_is_the_digest_of_nothing() -> None:
    assert ThreadedSha256().hexdigest() == hashlib.sha256().hexdigest()
