"""Each trial records its grade's integrity: "ok", "void" (the agent's code tampered with
its grading: scored as a failure and counted apart) or "unverified". Trials from before
it are "ok" (their graders had no canaries; nothing says otherwise).

Revision ID: 0003_integrity
Revises: 0002_suite_version
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_integrity"
down_revision = "0002_suite_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trial") as batch:
        batch.add_column(sa.Column("grade_integrity", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trial") as batch:
        batch.drop_column("grade_integrity")
