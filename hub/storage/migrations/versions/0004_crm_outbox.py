"""The CRM outbox: every CRM write, stored before it is delivered.

Revision ID: 0004
Revises: 0003

One row per write a CRM connector must make (``hub.crm``): its idempotency key (unique per connector, so
the same write is stored once), the operation and its payload, and where it stands (``pending``, ``sent``,
``failed`` with the CRM's error), with its attempts. Delivered at least once, in order, across restarts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "crm_outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("op", sa.String(64), nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("result", Json),
        sa.Column("created_ts", sa.Double(), nullable=False),
        sa.Column("updated_ts", sa.Double(), nullable=False),
        sa.Column("sent_ts", sa.Double()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_outbox")),
        sa.UniqueConstraint("connector", "key", name=op.f("uq_crm_outbox_connector_key")),
    )
    op.create_index(op.f("ix_crm_outbox_connector_state_id"), "crm_outbox", ["connector", "state", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_crm_outbox_connector_state_id"), table_name="crm_outbox")
    op.drop_table("crm_outbox")
