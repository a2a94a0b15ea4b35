"""Each run records the version (content hash) of the suite it ran, so history, baseline
pooling and sharing compare like with like. Runs from before it have ''.

Revision ID: 0002_suite_version
Revises: 0001_baseline
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_suite_version"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.add_column(sa.Column("suite_version", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.drop_column("suite_version")
