"""The built-in CRM's segments: saved filters over people and their timelines.

Revision ID: 0007
Revises: 0006

A segment (``segments``) is a name and a definition (JSON: what its people asked, bought, how often they came,
their consent); its members are computed when asked for, from ``people`` and ``person_activities``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("definition", Json, nullable=False),
        sa.Column("created_ts", sa.Double(), nullable=False),
        sa.Column("updated_ts", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_segments")),
    )


def downgrade() -> None:
    op.drop_table("segments")
