"""The audit trail: append-only events, hash-chained, with a stored chain head.

Each event's ``hash`` is SHA-256 over the previous event's hash followed by the event's own
canonical JSON (sorted keys, no spaces), so editing, deleting or reordering any event breaks
every hash after it. The chain head (last hash and count) is updated in the same transaction
as the append, so deleting events from the tail shows too.

No secret ever enters an event: details are scrubbed (keys named like credentials, and values
that look like keys, bearer tokens or ``user:pass@`` URLs are replaced) before hashing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator, Union

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from .models import AuditEvent, utcnow

GENESIS = "0" * 64
REDACTED = "[redacted]"

_SECRET_KEY = re.compile(r"(api[_-]?key|apikey|token|secret|password|passwd|authorization|credential)", re.I)
_SECRET_KEY_SAFE = re.compile(r"(ref|env|_var|tokens)$", re.I)  # apiKeyRef, api_key_env, maxTokens
_SECRET_VALUE = re.compile(r"(sk-[A-Za-z0-9_-]{8,}|Bearer\s+\S+|[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@)")


class AuditChainHead(SQLModel, table=True):
    """The last event's hash and the number of events: one row (id 1)."""

    __tablename__ = "audit_chain_head"
    id: int = Field(default=1, primary_key=True)
    last_hash: str = GENESIS
    count: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


def scrub(value: Any, key: str = "") -> Any:
    """``value`` with anything that may be a credential replaced by ``[redacted]``."""
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v, key) for v in value]
    if isinstance(value, str):
        if key and _SECRET_KEY.search(key) and not _SECRET_KEY_SAFE.search(key) and value:
            return REDACTED
        return _SECRET_VALUE.sub(REDACTED, value)
    return value


def _iso(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands datetimes back naive; they were stored as UTC
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def event_dict(event: AuditEvent) -> dict[str, Any]:
    """The fields an event's hash covers (and what ``audit export`` writes)."""
    return {
        "seq": event.seq,
        "at": _iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "subject": event.subject,
        "before_sha256": event.before_sha256,
        "after_sha256": event.after_sha256,
        "reason": event.reason or "",
        "details": json.loads(event.details_json or "{}"),
    }


def canonical_json(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def link_hash(prev_hash: str, data: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(data)).encode("utf-8")).hexdigest()


def _lock_head(session: Session) -> AuditChainHead:
    """Take the write lock before reading the head so two writers cannot both extend it."""
    session.execute(text("UPDATE audit_chain_head SET count = count WHERE id = 1"))
    head = session.get(AuditChainHead, 1, populate_existing=True)
    if head is None:
        head = AuditChainHead()
        session.add(head)
        session.flush()
    return head


def append_event(
    target: Union[Session, Engine],
    *,
    actor: str,
    action: str,
    subject: str = "",
    before: str | None = None,
    after: str | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Append one event; with a Session it joins the caller's transaction, with an Engine it
    commits on its own. Returns the event as exported (with ``hash``)."""
    if isinstance(target, Engine):
        with Session(target, expire_on_commit=False) as session:
            out = append_event(session, actor=actor, action=action, subject=subject, before=before,
                               after=after, reason=reason, details=details)
            session.commit()
            return out
    session = target
    head = _lock_head(session)
    event = AuditEvent(
        at=utcnow(), actor=actor or "", action=action, subject=scrub(subject), reason=scrub(reason or ""),
        before_sha256=before, after_sha256=after, seq=head.count + 1,
        details_json=canonical_json(scrub(details or {})),
    )
    data = event_dict(event)
    event.prev_hash = head.last_hash
    event.hash = link_hash(head.last_hash, data)
    head.last_hash, head.count, head.updated_at = event.hash, event.seq, utcnow()
    session.add(event)
    session.add(head)
    session.flush()
    return {**data, "hash": event.hash}


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "first_bad_seq": self.first_bad_seq,
                "problem": self.problem}


def _events(session: Session) -> Iterator[AuditEvent]:
    # Storage order (rowid), not seq: a reordered trail must show as reordered.
    yield from session.exec(select(AuditEvent).order_by(AuditEvent.id))


def verify_chain(db: Engine) -> ChainReport:
    """Walk the trail in storage order; name the first event edited, deleted or reordered."""
    with Session(db) as session:
        prev, checked = GENESIS, 0
        for event in _events(session):
            expected = checked + 1
            if event.seq != expected:
                what = "deleted" if event.seq is not None and event.seq > expected else "reordered or renumbered"
                return ChainReport(False, checked, expected, f"event {expected} {what} (found seq {event.seq})")
            if event.prev_hash != prev or event.hash != link_hash(prev, event_dict(event)):
                return ChainReport(False, checked, expected, f"event {expected} edited (hash does not match)")
            prev, checked = event.hash, expected
        head = session.get(AuditChainHead, 1)
        count, last = (head.count, head.last_hash) if head else (0, GENESIS)
        if count != checked:
            if count > checked:
                return ChainReport(False, checked, checked + 1,
                                   f"event {checked + 1} deleted (the chain head counts {count})")
            return ChainReport(False, checked, count + 1, f"event {count + 1} not in the chain head")
        if last != prev:
            return ChainReport(False, checked, checked, f"event {checked} does not match the chain head")
        return ChainReport(True, checked)


def export_events(db: Engine, *, subject: str | None = None) -> Iterator[dict[str, Any]]:
    """Every event in order, as the dict the hash covers plus ``prev_hash`` and ``hash``."""
    with Session(db) as session:
        query = select(AuditEvent).order_by(AuditEvent.seq)
        if subject is not None:
            query = query.where(AuditEvent.subject == subject)
        for event in session.exec(query):
            yield {**event_dict(event), "prev_hash": event.prev_hash, "hash": event.hash}


def events_for(db: Engine, subjects: list[str]) -> list[dict[str, Any]]:
    with Session(db) as session:
        query = select(AuditEvent).where(AuditEvent.subject.in_(subjects)).order_by(AuditEvent.seq)
        return [{**event_dict(e), "hash": e.hash} for e in session.exec(query)]
