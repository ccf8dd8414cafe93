"""What each room did with each viewer event, for the post-show report.

Revision ID: 0008
Revises: 0007

``room_decisions`` holds one row per decision of a room's answering (answered, aggregated, dropped with its
reason, blocked, ignored), with the question's intent, product and asker when the event was a question.
Written by the reports plugin (``plugins/reports``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "room_decisions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("room", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("intent", sa.String(32)),
        sa.Column("sku", sa.String()),
        sa.Column("asker", sa.String()),
        sa.Column("ts", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_decisions")),
    )
    op.create_index(op.f("ix_room_decisions_room_ts"), "room_decisions", ["room", "ts"])


def downgrade() -> None:
    op.drop_index(op.f("ix_room_decisions_room_ts"), table_name="room_decisions")
    op.drop_table("room_decisions")
