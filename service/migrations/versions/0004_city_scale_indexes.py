"""city scale: the indexes the visit list, a household's file, a case and the bulk load read

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: name, table, columns (docs/scaling.md says which page each serves)
INDEXES: tuple[tuple[str, str, list[Any]], ...] = (
    (
        "ix_scores_grid_urgency",
        "scores",
        ["grid_id", "tier", "follow_up_date", sa.text("p_red DESC"), "id"],
    ),
    ("ix_scores_unit", "scores", ["household_id", "case_id", "id"]),
    ("ix_survey_waves_household_date", "survey_waves", ["household_id", "survey_date"]),
    ("ix_overrides_case_latest", "overrides", ["case_id", "id"]),
    ("ix_outcomes_case_latest", "outcomes", ["case_id", "outcome_at"]),
)


#: single-column indexes each of the above starts with: it serves their reads as well,
#: and every row a bulk load writes would otherwise update both
REPLACED = (
    ("ix_scores_grid_id", "scores", ["grid_id"]),
    ("ix_scores_household_id", "scores", ["household_id"]),
    ("ix_survey_waves_household_id", "survey_waves", ["household_id"]),
    ("ix_overrides_case_id", "overrides", ["case_id"]),
    ("ix_outcomes_case_id", "outcomes", ["case_id"]),
)


#: what the visit list reads of each score besides the urgency, kept in its index on
#: PostgreSQL so that a grid's scores are read from the index alone (not one heap page each)
VISIT_COLUMNS = ["household_id", "case_id", "model_version"]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        include = VISIT_COLUMNS if name == "ix_scores_grid_urgency" else None
        op.create_index(name, table, columns, postgresql_include=include)
    for name, table, _ in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in REPLACED:
        op.create_index(name, table, columns)
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
