"""Recordings: a room's frames recorded to a file, with what maps them to the show.

Revision ID: 0011
Revises: 0010

``recordings`` holds one row per recorded file (``hub/recordings.py``): the room, the path, whether it is
complete, the wall-clock time of its first frame, its length, frame rate and size, and in ``data`` the anchors
that map file time to wall time, the captions the host said and the product cards shown, with their times.
Live clips are cut from complete recordings.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("room", sa.String(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_ts", sa.Double(), nullable=False),
        sa.Column("ended_ts", sa.Double()),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("fps", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
    )
    op.create_index(op.f("ix_recordings_room_started_ts"), "recordings", ["room", "started_ts"])


def downgrade() -> None:
    op.drop_index(op.f("ix_recordings_room_started_ts"), table_name="recordings")
    op.drop_table("recordings")
