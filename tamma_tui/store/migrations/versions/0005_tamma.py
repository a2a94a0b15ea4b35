"""Tamma integration: the audit trail's hash chain (columns and chain head) and change requests.

Events recorded before this revision are chained in id order, so the trail verifies from
its first event.

Revision ID: 0005_tamma
Revises: 0003_integrity
"""

import hashlib
import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0005_tamma"
down_revision = "0003_integrity"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _iso(value) -> str:
    # The same canonical form as store/audit.py (kept here so the migration never changes).
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reason", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("before_sha256", sa.String(), nullable=True))
        batch.add_column(sa.Column("after_sha256", sa.String(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(), nullable=True))
        batch.create_index("ix_audit_event_seq", ["seq"], unique=True)
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("last_hash", sa.String(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "change_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("store", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("variant", sa.String(), nullable=False),
        sa.Column("base_sha256", sa.String(), nullable=False),
        sa.Column("proposed_sha256", sa.String(), nullable=False),
        sa.Column("change_sha256", sa.String(), nullable=False),
        sa.Column("ops_json", sa.Text(), nullable=False),
        sa.Column("diff_text", sa.Text(), nullable=False),
        sa.Column("snapshot_text", sa.Text(), nullable=False),
        sa.Column("evidence_json", sa.Text(), nullable=False),
        sa.Column("evidence_config_sha256", sa.String(), nullable=False),
        sa.Column("approved_change_sha256", sa.String(), nullable=False),
        sa.Column("approved_by", sa.String(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("rolls_back_id", sa.Integer(), nullable=True),
        sa.Column("rolled_back_by_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_change_request_state", "change_request", ["state"])
    op.create_index("ix_change_request_agent_id", "change_request", ["agent_id"])
    _chain_existing_events()


def _chain_existing_events() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, at, actor, action, subject, details_json FROM audit_event ORDER BY id")).all()
    prev = GENESIS
    for seq, (row_id, at, actor, action, subject, details_json) in enumerate(rows, start=1):
        data = {"seq": seq, "at": _iso(at), "actor": actor, "action": action, "subject": subject,
                "before_sha256": None, "after_sha256": None, "reason": "",
                "details": json.loads(details_json or "{}")}
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        digest = hashlib.sha256((prev + canonical).encode("utf-8")).hexdigest()
        conn.execute(sa.text("UPDATE audit_event SET seq=:s, prev_hash=:p, hash=:h WHERE id=:i"),
                     {"s": seq, "p": prev, "h": digest, "i": row_id})
        prev = digest
    conn.execute(sa.text("INSERT INTO audit_chain_head (id, last_hash, count, updated_at) VALUES (1, :h, :c, :t)"),
                 {"h": prev, "c": len(rows), "t": datetime.now(timezone.utc).replace(tzinfo=None)})


def downgrade() -> None:
    op.drop_index("ix_change_request_agent_id", "change_request")
    op.drop_index("ix_change_request_state", "change_request")
    op.drop_table("change_request")
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_index("ix_audit_event_seq")
        for column in ("hash", "prev_hash", "after_sha256", "before_sha256", "reason", "seq"):
            batch.drop_column(column)
