"""History: check outcomes (what makes a run "last accepted") and acknowledged regressions.

Revision ID: 0006_history
Revises: 0005_tamma
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_history"
down_revision = "0005_tamma"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history_check",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("run.id"), nullable=False),
        sa.Column("against", sa.String(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("details_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_history_check_run_id", "history_check", ["run_id"])
    op.create_table(
        "history_ack",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("run.id"), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_history_ack_run_id", "history_ack", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_history_ack_run_id", "history_ack")
    op.drop_table("history_ack")
    op.drop_index("ix_history_check_run_id", "history_check")
    op.drop_table("history_check")
