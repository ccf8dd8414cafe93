"""Connector cursors: where each platform connector's feed resumes after a reconnect or a restart.

Revision ID: 0003
Revises: 0002

One row per connector (``[connectors.<name>]``): its platform and the cursor it last stored (a message
id, a page token or a sequence number, as text). Written by :class:`hub.resume.CursorKeeper`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connector_cursors",
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("updated_ts", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("connector", name=op.f("pk_connector_cursors")),
    )


def downgrade() -> None:
    op.drop_table("connector_cursors")
