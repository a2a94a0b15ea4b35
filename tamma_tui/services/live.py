"""Run an experiment in its own process and stream its engine events back over a pipe.

The app launches runs through `run_in_process`, which has run_experiment's contract
(on_event, cancel, resume) but keeps the engine's CPU work out of the app's process: the
app's only share is decoding one JSON line per event, so keys stay quick during a run.

The child is `python -m tamma_tui.services.live EXPERIMENT --db URL [--resume ID]`. It
writes one JSON object per line to the pipe it was given as stdout (its own prints go to
stderr): every engine event as {"event": class name, **fields}, and last either
{"outcome": {...}} or {"error": one line, "bad_input": bool}. SIGTERM/SIGINT cancel the run
the way the app's cancel event does: in-flight trials are dropped, finished ones kept.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
from typing import IO, Any, Callable

from tamma_tui.engine import events as engine_events
from tamma_tui.errors import BadInput, OperationFailed

_EVENT_TYPES = {cls.__name__: cls for cls in (
    engine_events.RunStarted, engine_events.TrialStarted, engine_events.TrialFinished,
    engine_events.RunProgress, engine_events.RunFinished,
)}


# --- the wire format -------------------------------------------------------------------


def encode_event(event: Any) -> str:
    """One engine event as one JSON line (no newline)."""
    return json.dumps({"event": type(event).__name__, **dataclasses.asdict(event)},
                      separators=(",", ":"))


def decode_event(data: dict[str, Any]) -> Any:
    """The frozen event a line describes (JSON lists back to the tuples they were)."""
    cls = _EVENT_TYPES[data.pop("event")]
    fields = {f.name for f in dataclasses.fields(cls)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in fields}
    return cls(**values)


# --- the parent side -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ProcessOutcome:
    """What the child reported at the end (run_experiment's RunOutcome, as plain values)."""

    run_id: int | None
    status: str
    detail: dict[str, Any]


def child_command(path: str | None, *, db: str, resume: int | None) -> list[str]:
    cmd = [sys.executable, "-m", "tamma_tui.services.live", "--db", str(db)]
    if resume is not None:
        cmd += ["--resume", str(resume)]
    if path is not None:
        cmd.append(str(path))
    return cmd


def run_in_process(
    path: str | None,
    *,
    db: str,
    on_event: Callable[[Any], None] | None = None,
    resume: int | None = None,
    cancel: threading.Event | None = None,
    **_ignored: Any,
) -> ProcessOutcome:
    """Run (or resume) an experiment in a child process; blocks until it ends.

    Events reach ``on_event`` in this thread as they arrive. Setting ``cancel`` asks the
    child to stop (SIGTERM); finished trials are kept. A bad experiment raises BadInput
    with the child's one-line message; a crash raises OperationFailed."""
    proc = subprocess.Popen(
        child_command(path, db=db, resume=resume), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, bufsize=1,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    stop_watch = threading.Event()
    if cancel is not None:
        threading.Thread(target=_forward_cancel, args=(cancel, stop_watch, proc), daemon=True,
                         name="tamma-cancel-watch").start()
    stderr_tail: list[str] = []
    drain = threading.Thread(target=_keep_tail, args=(proc.stderr, stderr_tail), daemon=True)
    drain.start()
    outcome: ProcessOutcome | None = None
    failure: dict[str, Any] | None = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            data = json.loads(line)
            if "event" in data:
                if on_event is not None:
                    on_event(decode_event(data))
            elif "outcome" in data:
                o = data["outcome"]
                outcome = ProcessOutcome(o.get("run_id"), o.get("status", ""), o)
            elif "error" in data:
                failure = data
        returncode = proc.wait()
    finally:
        stop_watch.set()
        if proc.poll() is None:  # this thread was interrupted: never leave an orphan engine
            proc.terminate()
            proc.wait()
        drain.join(timeout=1)
    if failure is not None:
        if failure.get("bad_input"):
            raise BadInput(failure["error"])
        raise OperationFailed(failure["error"])
    if outcome is None:
        tail = " ".join(stderr_tail[-3:]).strip()
        raise OperationFailed(f"the run process ended with status {returncode}"
                              + (f": {tail}" if tail else ""))
    return outcome


def _forward_cancel(cancel: threading.Event, stop: threading.Event, proc: subprocess.Popen) -> None:
    while not stop.is_set():
        if cancel.wait(0.1):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            return


def _keep_tail(stream: IO[str] | None, tail: list[str]) -> None:
    if stream is None:
        return
    for line in stream:
        tail.append(line.rstrip())
        del tail[:-20]


# --- runs whose process died ------------------------------------------------------------

HEARTBEAT_S = 10.0  # how often a running child says it is alive
STALE_AFTER_S = 120.0  # a lease from another host this old belongs to a dead process


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def find_interrupted(db: Any) -> list[int]:
    """Mark "running" runs whose process is gone as interrupted; returns their ids.

    On this host the lease's pid says it; a lease from another host counts as dead once
    its heartbeat is older than STALE_AFTER_S. Runs without a lease are left alone."""
    import socket
    from datetime import timezone

    from tamma_tui.store import live as leases

    host, stale = socket.gethostname(), leases.stale_before(STALE_AFTER_S)
    dead = []
    for lease in leases.running_leases(db):
        beat_at = lease.heartbeat_at
        if beat_at.tzinfo is None:  # SQLite keeps naive datetimes; they were written in UTC
            beat_at = beat_at.replace(tzinfo=timezone.utc)
        gone = not pid_alive(lease.pid) if lease.host == host else beat_at < stale
        if gone:
            dead.append(lease.run_id)
    leases.mark_interrupted(db, dead)
    return dead


class _Lease:
    """The child's claim on its run: written at RunStarted, renewed every HEARTBEAT_S by a
    thread, dropped when the run ends normally (a killed child leaves it behind)."""

    def __init__(self, db_value: str) -> None:
        self._db_value = db_value
        self._db = None
        self.run_id: int | None = None
        self._stop = threading.Event()

    def started(self, run_id: int) -> None:
        import socket

        from tamma_tui.store import live as leases
        from tamma_tui.store.db import open_database

        self._db = open_database(self._db_value)
        self.run_id = run_id
        leases.hold_lease(self._db, run_id, os.getpid(), socket.gethostname())
        threading.Thread(target=self._beat, daemon=True, name="tamma-heartbeat").start()

    def _beat(self) -> None:
        from tamma_tui.store import live as leases

        while not self._stop.wait(HEARTBEAT_S):
            leases.beat(self._db, self.run_id)

    def release(self) -> None:
        self._stop.set()
        if self.run_id is not None:
            from tamma_tui.store import live as leases

            leases.drop_lease(self._db, self.run_id)


# --- the child side --------------------------------------------------------------------


def _child_main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="tamma_tui.services.live")
    parser.add_argument("experiment", nargs="?")
    parser.add_argument("--db", required=True)
    parser.add_argument("--resume", type=int)
    args = parser.parse_args(argv)

    # The pipe is the event channel: keep it for events, send every stray print to stderr.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    lock = threading.Lock()

    def send(line: str) -> None:
        with lock:
            channel.write(line + "\n")

    cancel = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: cancel.set())

    from tamma_tui.errors import TammaError
    from tamma_tui.services.experiments import run_experiment

    lease = _Lease(args.db)
    wire = _Coalescer(send)

    def on_event(event: Any) -> None:
        if isinstance(event, engine_events.RunStarted) and lease.run_id is None:
            lease.started(event.run_id)
        wire.offer(event)

    try:
        result = run_experiment(args.experiment, db=args.db, resume=args.resume, cancel=cancel,
                                on_event=on_event)
        lease.release()
    except TammaError as exc:
        lease.release()
        send(json.dumps({"error": str(exc), "bad_input": isinstance(exc, BadInput)}))
        return 2
    except Exception as exc:  # reported to the parent as one line; the traceback goes to stderr
        import traceback

        traceback.print_exc()
        lease.release()
        send(json.dumps({"error": f"{type(exc).__name__}: {exc}", "bad_input": False}))
        return 1
    send(json.dumps({"outcome": _outcome_fields(result)}, default=str))
    channel.close()
    return 0


class _Coalescer:
    """Keeps the pipe (and the app's decoding) to what a screen can show: TrialStarted is
    not sent (no screen uses it), and of the RunProgress snapshots, which each replace the
    last, at most one per PROGRESS_EVERY_S goes out, plus the latest before any final event."""

    PROGRESS_EVERY_S = 0.1

    def __init__(self, send: Callable[[str], None]) -> None:
        import time

        self._send, self._clock = send, time.monotonic
        self._held: Any = None
        self._last_sent = 0.0
        self._lock = threading.Lock()

    def offer(self, event: Any) -> None:
        with self._lock:
            if isinstance(event, engine_events.TrialStarted):
                return
            if isinstance(event, engine_events.RunProgress):
                now = self._clock()
                if now - self._last_sent < self.PROGRESS_EVERY_S:
                    self._held = event
                    return
                self._last_sent, self._held = now, None
            elif isinstance(event, engine_events.RunFinished) and self._held is not None:
                self._send(encode_event(self._held))
                self._held = None
            self._send(encode_event(event))


def _outcome_fields(result: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(result):
        return {f.name: getattr(result, f.name) for f in dataclasses.fields(result)
                if isinstance(getattr(result, f.name), (int, float, str, bool, type(None)))}
    return {"run_id": getattr(result, "run_id", None), "status": getattr(result, "status", "")}


if __name__ == "__main__":
    raise SystemExit(_child_main(sys.argv[1:]))
