"""Optimise: tune studies, their candidates, and search vs confirmed gain per optimiser.

Revision ID: 0007_optimise
Revises: 0006_history
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_optimise"
down_revision = "0006_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tune_study",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("spec_path", sa.String(), nullable=False),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("optimiser", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("tuning_tasks_json", sa.Text(), nullable=False),
        sa.Column("heldout_tasks_json", sa.Text(), nullable=False),
        sa.Column("canary_tasks_json", sa.Text(), nullable=False),
        sa.Column("spent_usd", sa.Float(), nullable=False),
        sa.Column("spent_trials", sa.Integer(), nullable=False),
        sa.Column("winner_candidate", sa.Integer(), nullable=True),
        sa.Column("confirmation_run_id", sa.Integer(), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_tune_study_name", "tune_study", ["name"], unique=True)
    op.create_table(
        "tune_candidate",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("tune_study.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("tasks_used", sa.Integer(), nullable=False),
        sa.Column("run_ids_json", sa.Text(), nullable=False),
        sa.Column("metrics_json", sa.Text(), nullable=False),
        sa.Column("prune_reason", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_tune_candidate_study_id", "tune_candidate", ["study_id"])
    op.create_table(
        "optimiser_calibration",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("tune_study.id"), nullable=False),
        sa.Column("optimiser", sa.String(), nullable=False),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("search_gain", sa.Float(), nullable=False),
        sa.Column("confirmed_gain", sa.Float(), nullable=True),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_optimiser_calibration_study_id", "optimiser_calibration", ["study_id"])


def downgrade() -> None:
    op.drop_index("ix_optimiser_calibration_study_id", "optimiser_calibration")
    op.drop_table("optimiser_calibration")
    op.drop_index("ix_tune_candidate_study_id", "tune_candidate")
    op.drop_table("tune_candidate")
    op.drop_index("ix_tune_study_name", "tune_study")
    op.drop_table("tune_study")
