"""Campaign deliveries: each item sent to each person, once, with its tracked link and clicks.

Revision ID: 0010
Revises: 0009

``campaign_deliveries`` holds one row per person an item went to (or waits to go to): the key that makes it
sent once (campaign, product, segment, channel, person), the token of the person's tracked link (``/r/<token>``)
and unsubscribe link (``/u/<token>``), the state and the clicks.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "campaign_deliveries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("campaign", sa.String(), nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("created_ts", sa.Double(), nullable=False),
        sa.Column("sent_ts", sa.Double()),
        sa.Column("clicked_ts", sa.Double()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_deliveries")),
        sa.UniqueConstraint("key", name=op.f("uq_campaign_deliveries_key")),
        sa.UniqueConstraint("token", name=op.f("uq_campaign_deliveries_token")),
    )
    op.create_index(op.f("ix_campaign_deliveries_campaign_state"), "campaign_deliveries", ["campaign", "state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_campaign_deliveries_campaign_state"), table_name="campaign_deliveries")
    op.drop_table("campaign_deliveries")
