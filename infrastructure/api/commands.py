"""Operator routes: halt, resume and flatten, recorded in the log with the key's identity.

A command is an input event (``OperatorCommand``) appended to the log; the engine
running the session takes it in log order like any other input, so replay
reproduces its effect. A command needs a session that is running: on a log whose
last session has ended (a finished backtest) it is refused with 409, because an
input after the end would make the recorded session irreproducible.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any, Literal

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, HTTPException, Path, Request

from domain.events import OperatorCommand, SessionEnded, SessionStarted
from domain.ids import derive_id
from infrastructure.api.auth import require
from infrastructure.api.keys import ApiKey
from infrastructure.api.schemas import CommandIn, CommandRecorded
from infrastructure.api.views import runtime_of

router = APIRouter(prefix="/v1/commands", tags=["operator"])
COMMANDS = derive_id("operator-commands")
ATTEMPTS = 5
_ISSUING = threading.Lock()


@router.post("/{command}", response_model=CommandRecorded, status_code=201, summary="Halt, resume or flatten")
def issue(
    request: Request,
    command: Annotated[Literal["halt", "resume", "flatten"], Path()],
    body: CommandIn,
    key: Annotated[ApiKey, Depends(require("operator"))],
) -> dict[str, Any]:
    """Record the command for the running session (who issued it: the key's name and id)."""
    log = runtime_of(request).log
    _require_running_session(log)
    with _ISSUING:  # one command at a time here; another process may still take a version first
        for _ in range(ATTEMPTS):
            previous = log.stream_head(COMMANDS)
            event = OperatorCommand(
                originator_id=COMMANDS,
                originator_version=(previous.originator_version if previous else 0) + 1,
                command=command,
                scope=body.scope,
                issued_by=key.identity,
                reason=body.reason,
                ts_event=time.time_ns(),  # when it was issued: the command's own time, recorded
            )
            try:
                notification_id = log.append([event])
                break
            except IntegrityError:  # that version was taken meanwhile: read the stream's head again
                continue
        else:
            raise HTTPException(
                503, f"the command was not recorded: {ATTEMPTS} tries met newer commands; retry"
            )
    return {
        "notification_id": notification_id,
        "command": command,
        "scope": body.scope,
        "issued_by": key.identity,
    }


def _require_running_session(log: Any) -> None:
    started = ended = False
    for page in log.read(topics=[SessionStarted.TOPIC, SessionEnded.TOPIC]):
        for recorded in page:
            if isinstance(recorded.event, SessionStarted):
                started, ended = True, False
            else:
                ended = True
    if not started or ended:
        raise HTTPException(
            409, "no session is running in this log: there is nothing to halt, resume or flatten"
        )
