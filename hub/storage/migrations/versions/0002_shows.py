"""Shows: rundowns defined through the API (the show runner's ``shows`` table).

Revision ID: 0002
Revises: 0001

A rundown is stored whole as JSON (validated by the show runner before it is written), keyed by the
show's name. Shows defined in TOML files are not copied here; they are read from their files.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Ts = sa.Double()


def upgrade() -> None:
    op.create_table(
        "shows",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("room", sa.String(), nullable=True),
        sa.Column("rundown", Json, nullable=False),
        sa.Column("created_ts", Ts, nullable=False),
        sa.Column("updated_ts", Ts, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_shows")),
    )


def downgrade() -> None:
    op.drop_table("shows")
