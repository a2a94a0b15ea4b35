"""Run leases: the process (pid, host) running a run and its heartbeat, so a run whose
process died is found and marked interrupted on the next open.

Revision ID: 0003b_live
Revises: 0007_optimise
"""

import sqlalchemy as sa
from alembic import op

revision = "0003b_live"
down_revision = "0007_optimise"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_lease",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("run.id"), primary_key=True),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("run_lease")
