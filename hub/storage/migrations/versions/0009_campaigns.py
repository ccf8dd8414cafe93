"""Outbound content campaigns, their runs and the items they make.

Revision ID: 0009
Revises: 0008

``campaigns`` holds a campaign's definition (products, segments, content kinds, channels, approval);
``campaign_runs`` each run (trigger, status, counts); ``campaign_items`` each piece of content a run made, with
the key that makes the same product + segment + template generated once, its review and approval. Written by
the campaigns plugin (``plugins/campaigns``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("definition", Json, nullable=False),
        sa.Column("created_ts", sa.Double(), nullable=False),
        sa.Column("updated_ts", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "campaign_runs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("campaign", sa.String(), nullable=False),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("counts", Json),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("started_ts", sa.Double(), nullable=False),
        sa.Column("finished_ts", sa.Double()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_runs")),
    )
    op.create_index(op.f("ix_campaign_runs_campaign_id"), "campaign_runs", ["campaign", "id"])
    op.create_table(
        "campaign_items",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("campaign", sa.String(), nullable=False),
        sa.Column("cache_key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("segment", sa.String(), nullable=False),
        sa.Column("variant", sa.String(8), nullable=False),
        sa.Column("content", Json, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("reasons", Json),
        sa.Column("decided_by", sa.String()),
        sa.Column("created_ts", sa.Double(), nullable=False),
        sa.Column("decided_ts", sa.Double()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_items")),
    )
    op.create_index(op.f("ix_campaign_items_campaign_state"), "campaign_items", ["campaign", "state"])
    op.create_index(op.f("ix_campaign_items_cache_key"), "campaign_items", ["cache_key"])


def downgrade() -> None:
    op.drop_index(op.f("ix_campaign_items_cache_key"), table_name="campaign_items")
    op.drop_index(op.f("ix_campaign_items_campaign_state"), table_name="campaign_items")
    op.drop_table("campaign_items")
    op.drop_index(op.f("ix_campaign_runs_campaign_id"), table_name="campaign_runs")
    op.drop_table("campaign_runs")
    op.drop_table("campaigns")
