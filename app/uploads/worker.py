"""The background worker: takes queued uploads from the database and runs them, one at a time.

The server starts one in a thread; `edc worker` runs more, in other processes or machines.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from sqlalchemy.orm import Session, sessionmaker

from app.forms.model import CompiledStudy
from app.uploads.jobs import claim_next, mark_failed, run_claimed

log = logging.getLogger(__name__)


def work_once(session_factory: sessionmaker[Session], study: CompiledStudy, name: str) -> bool:
    """Run the next queued upload, if any; True when one was run."""
    upload_id = claim_next(session_factory, name)
    if upload_id is None:
        return False
    try:
        run_claimed(session_factory, study, upload_id)
    except Exception:
        log.exception("upload %s failed", upload_id)
        mark_failed(session_factory, upload_id)
    return True


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Worker(threading.Thread):
    def __init__(
        self, session_factory: sessionmaker[Session], study: CompiledStudy, poll_seconds: float = 1.0
    ):
        super().__init__(name="upload-worker", daemon=True)
        self.session_factory, self.study, self.poll_seconds = session_factory, study, poll_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        name = worker_name()
        while not self.stopping.is_set():
            try:
                busy = work_once(self.session_factory, self.study, name)
            except Exception:
                log.exception("upload worker")
                busy = False
            if not busy:
                self.stopping.wait(self.poll_seconds)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
