"""a case's life: its steps (state, owner, level, deadline), its assessments, and the
follow-up an override sets

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:40:00

Cases stored before it are registered (the first mediation level, due the day after they
were stored, so the ones never assigned show as overdue) and their intake scores become
their intake assessments.
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _by_key() -> list[sa.Column]:
    return [
        sa.Column("key_id", sa.Integer(), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    events = op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("owner_kind", sa.String(30), nullable=True),
        sa.Column("owner_key_id", sa.Integer(), sa.ForeignKey("api_keys.id"), nullable=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        *_by_key(),
    )
    op.create_index("ix_case_events_case_id", "case_events", ["case_id"])
    op.create_index("ix_case_events_owner_key_id", "case_events", ["owner_key_id"])
    assessments = op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("score_id", sa.Integer(), sa.ForeignKey("scores.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("tier_before", sa.String(10), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        *_by_key(),
    )
    op.create_index("ix_assessments_case_id", "assessments", ["case_id"])
    op.add_column("overrides", sa.Column("follow_up_date", sa.Date(), nullable=True))

    bind = op.get_bind()
    cases = sa.table(
        "cases",
        sa.column("case_id", sa.String),
        sa.column("opened_at", sa.Date),
        sa.column("key_id", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    scores = sa.table(
        "scores",
        sa.column("id", sa.Integer),
        sa.column("case_id", sa.String),
        sa.column("key_id", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    stored = bind.execute(sa.select(cases).order_by(cases.c.created_at)).all()
    opened = {row.case_id: row.opened_at for row in stored}
    now = dt.datetime.now(dt.UTC)
    if stored:
        op.bulk_insert(
            events,
            [
                {
                    "case_id": row.case_id,
                    "action": "register",
                    "state": "registered",
                    "owner_kind": None,
                    "owner_key_id": None,
                    "level": "village",
                    "due_on": _day(row.created_at) + dt.timedelta(days=1),
                    "reason": "",
                    "key_id": row.key_id,
                    "created_at": row.created_at or now,
                }
                for row in stored
            ],
        )
    scored = bind.execute(
        sa.select(scores).where(scores.c.case_id.is_not(None)).order_by(scores.c.id)
    ).all()
    if scored:
        op.bulk_insert(
            assessments,
            [
                {
                    "case_id": row.case_id,
                    "score_id": row.id,
                    "kind": "intake",
                    "tier_before": None,
                    "as_of": opened[row.case_id],
                    "changes": {},
                    "note": "",
                    "key_id": row.key_id,
                    "created_at": row.created_at or now,
                }
                for row in scored
            ],
        )


def _day(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):  # SQLite without type affinity
        return dt.datetime.fromisoformat(value).date()
    return dt.date.today()


def downgrade() -> None:
    with op.batch_alter_table("overrides") as batch:
        batch.drop_column("follow_up_date")
    op.drop_index("ix_assessments_case_id", table_name="assessments")
    op.drop_table("assessments")
    op.drop_index("ix_case_events_owner_key_id", table_name="case_events")
    op.drop_index("ix_case_events_case_id", table_name="case_events")
    op.drop_table("case_events")
