"""One projection runner per set of views: a second is refused with the reason, on both stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrastructure.bootstrap import migrate
from infrastructure.read_models.writer_lock import ViewsBusy, writer_lock
from tests.conftest import settings_for


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_second_runner_is_refused_until_the_first_lets_go(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for(kind, tmp_path, request)
    migrate(settings)
    with writer_lock(settings):
        with (
            pytest.raises(ViewsBusy, match="another projection runner is writing the views"),
            writer_lock(settings),
        ):
            pass
    with writer_lock(settings):  # released: the next runner may write
        pass
