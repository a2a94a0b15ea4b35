"""The hash-chained audit trail: intact chains verify; edits, deletions (middle and tail) and
reorderings are named by sequence number; secrets never enter an event."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tamma_tui.cli import main
from tamma_tui.store.audit import append_event, verify_chain
from tamma_tui.store.db import make_engine, resolve_db_url, upgrade


@pytest.fixture()
def db(tmp_path):
    path = tmp_path / "audit.db"
    engine = make_engine(resolve_db_url(path))
    upgrade(engine)
    for i in range(5):
        append_event(engine, actor="ana", action="change.propose", subject=f"change:{i + 1}",
                     before="a" * 64, after="b" * 64, reason=f"step {i}", details={"n": i})
    return path, engine


def test_intact_chain_verifies_and_cli_exits_0(db, capsys):
    path, engine = db
    assert verify_chain(engine).as_dict() == {"ok": True, "checked": 5, "first_bad_seq": None, "problem": ""}
    assert main(["audit", "verify", "--db", str(path)]) == 0
    assert "5 events checked" in capsys.readouterr().out


@pytest.mark.parametrize("tamper, bad_seq", [
    ("UPDATE audit_event SET reason = 'edited' WHERE seq = 3", 3),
    ("UPDATE audit_event SET details_json = '{\"n\":99}' WHERE seq = 2", 2),
    ("DELETE FROM audit_event WHERE seq = 4", 4),
    ("DELETE FROM audit_event WHERE seq = 5", 5),  # the tail: only the chain head shows it
    ("UPDATE audit_event SET at = '2020-01-01 00:00:00' WHERE seq = 1", 1),
])
def test_tampering_is_named_by_sequence_number(db, tamper, bad_seq, capsys):
    path, engine = db
    con = sqlite3.connect(path)
    con.execute(tamper)
    con.commit()
    con.close()
    report = verify_chain(engine)
    assert not report.ok and report.first_bad_seq == bad_seq
    assert main(["audit", "verify", "--json", "--db", str(path)]) == 1
    assert json.loads(capsys.readouterr().out)["first_bad_seq"] == bad_seq


def test_reordered_events_are_detected(db):
    path, engine = db
    con = sqlite3.connect(path)
    # swap the stored positions of events 2 and 3 (their content moves, their ids stay)
    rows = {r[0]: r[1:] for r in con.execute("SELECT id, seq, reason, details_json, subject, hash, prev_hash FROM audit_event")}
    ids = sorted(rows)
    con.execute("UPDATE audit_event SET seq = NULL WHERE id IN (?, ?)", (ids[1], ids[2]))
    for dst, src in ((ids[1], ids[2]), (ids[2], ids[1])):
        con.execute("UPDATE audit_event SET seq=?, reason=?, details_json=?, subject=?, hash=?, prev_hash=? WHERE id=?",
                    (*rows[src], dst))
    con.commit()
    con.close()
    report = verify_chain(engine)
    assert not report.ok and report.first_bad_seq == 2


def test_a_rewritten_chain_without_the_head_is_detected(db):
    """Re-hashing every event after an edit still disagrees with the stored chain head."""
    from tamma_tui.store.audit import GENESIS, link_hash

    path, engine = db
    con = sqlite3.connect(path)
    con.execute("UPDATE audit_event SET reason = 'forged' WHERE seq = 2")
    con.commit()
    from sqlmodel import Session, select

    from tamma_tui.store.audit import event_dict
    from tamma_tui.store.models import AuditEvent

    prev = GENESIS
    with Session(engine) as session:
        for event in session.exec(select(AuditEvent).order_by(AuditEvent.id)):
            event.prev_hash, event.hash = prev, link_hash(prev, event_dict(event))
            prev = event.hash
            session.add(event)
        session.commit()
    report = verify_chain(engine)
    assert not report.ok and report.first_bad_seq == 5


def test_no_secret_enters_an_event(db, capsys):
    path, engine = db
    append_event(engine, actor="ana", action="store.error", subject="tamma-api:http://x",
                 reason="PUT failed with Bearer abc.def.ghi",
                 details={"api_key": "sk-live-1234567890", "apiKeyRef": "ANTHROPIC_API_KEY",
                          "url": "https://user:hunter2@host/api", "maxTokens": 400,
                          "nested": [{"token": "t0ps3cret"}]})
    assert main(["audit", "export", "--format", "jsonl", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    for secret in ("sk-live-1234567890", "hunter2", "abc.def.ghi", "t0ps3cret"):
        assert secret not in out
    last = json.loads(out.splitlines()[-1])
    assert last["details"]["apiKeyRef"] == "ANTHROPIC_API_KEY" and last["details"]["maxTokens"] == 400
    assert last["seq"] == 6 and verify_chain(engine).ok


def test_events_recorded_before_the_migration_are_chained(tmp_path):
    """A database with plain events upgraded to 0005 verifies from its first event."""
    from alembic import command

    from tamma_tui.store.db import _alembic_config

    path = tmp_path / "old.db"
    engine = make_engine(resolve_db_url(path))
    with engine.begin() as conn:
        cfg = _alembic_config(conn)
        command.upgrade(cfg, "0002_suite_version")
    con = sqlite3.connect(path)
    for i in range(3):
        con.execute("INSERT INTO audit_event (at, actor, action, subject, details_json) VALUES (?,?,?,?,?)",
                    (f"2026-01-0{i + 1} 10:00:00.000000", "bo", "check.ack", f"run:{i}", json.dumps({"i": i})))
    con.commit()
    con.close()
    upgrade(engine)
    append_event(engine, actor="ana", action="change.propose", subject="change:1")
    report = verify_chain(engine)
    assert report.ok and report.checked == 4
