"""work lists: the red case scores in order of follow-up date, for a supervisor's list

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 02:00:00

A supervisor's work list starts from the cases with a red score past its follow-up date
(docs/scaling.md); without a grid to narrow it (an all-grid supervisor) that read went
through every case score. A partial index holds the red case scores alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

RED_CASES = sa.text("tier = 'red' AND case_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_scores_red_case_follow_up",
        "scores",
        ["follow_up_date"],
        postgresql_include=["case_id", "grid_id"],
        postgresql_where=RED_CASES,
        sqlite_where=RED_CASES,
    )


def downgrade() -> None:
    op.drop_index("ix_scores_red_case_follow_up", table_name="scores")
