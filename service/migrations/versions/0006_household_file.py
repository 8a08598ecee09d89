"""the household's file: visit notes; cases stored without a grid take their household's

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 11:30:00

A case entered before its household's survey kept no grid (and so no grid's worker saw
it); it, and its scores, take the grid of the household's survey waves where there is one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.case_id"), nullable=True),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("key_id", sa.Integer(), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_visit_notes_household_id", "visit_notes", ["household_id"])
    waves = sa.table("survey_waves", sa.column("household_id"), sa.column("grid_id"))
    for name in ("cases", "scores"):
        table = sa.table(name, sa.column("household_id"), sa.column("grid_id"))
        grid = (
            sa.select(waves.c.grid_id)
            .where(waves.c.household_id == table.c.household_id)
            .limit(1)
            .scalar_subquery()
        )
        op.execute(
            table.update()
            .where(
                table.c.grid_id.is_(None),
                sa.exists().where(waves.c.household_id == table.c.household_id),
            )
            .values(grid_id=grid)
        )


def downgrade() -> None:
    op.drop_index("ix_visit_notes_household_id", table_name="visit_notes")
    op.drop_table("visit_notes")
