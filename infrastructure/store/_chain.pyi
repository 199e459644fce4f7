from collections.abc import Sequence

def link_block(
    previous: bytes,
    ids: Sequence[int],
    originators: Sequence[bytes | str],
    versions: Sequence[int],
    topics: Sequence[str],
    states: Sequence[bytes | bytearray],
) -> tuple[bytes, bytes]: ...
