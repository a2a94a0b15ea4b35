"""In-process job queue for the thumbnail service.

Producers call ``submit()`` from request handlers; ``start()`` runs a few worker
threads that execute jobs. A job that raises is retried until it has been attempted
``max_attempts`` times in total, then recorded as dead. The service is idle most of
the night and shares its host with the API.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    run: Callable[[], None]
    attempts: int = 0
    errors: list[str] = field(default_factory=list)


class JobQueue:
    def __init__(self, workers: int = 4, max_attempts: int = 3) -> None:
        self.max_attempts = max_attempts
        self._workers = workers
        self._jobs: list[Job] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.dead: list[Job] = []

    def submit(self, job: Job) -> None:
        with self._lock:
            self._jobs.append(job)

    def _take(self) -> Job | None:
        self._lock.acquire()
        if not self._jobs:
            return None
        job = self._jobs.pop(0)
        self._lock.release()
        return job

    def _worker(self) -> None:
        while not self._stop.is_set():
            job = self._take()
            if job is None:
                continue
            job.attempts += 1
            try:
                job.run()
            except Exception as exc:
                job.errors.append(repr(exc))
                if job.attempts <= self.max_attempts:
                    log.warning("job %s failed (%s), retrying", job.name, exc)
                    self.submit(job)
                else:
                    log.error("job %s failed %d times, giving up", job.name, job.attempts)
                    with self._lock:
                        self.dead.append(job)

    def start(self) -> None:
        for index in range(self._workers):
            thread = threading.Thread(target=self._worker, name=f"jobs-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
