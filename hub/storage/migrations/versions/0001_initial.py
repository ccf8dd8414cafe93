"""Initial schema: events, catalog, audience, rooms, broadcasts, replies, schedules, content, audit.

Revision ID: 0001
Revises: (none)

Types are spelled out here rather than imported from :mod:`hub.storage.tables`: a migration is a frozen
record of one schema step and must not change when the tables module does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Money = sa.Numeric(precision=14, scale=2)
Ts = sa.Double()


def _id() -> sa.Column:
    return sa.Column("id", BigId, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "events",
        _id(),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("room", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=True),
        sa.Column("user_name", sa.String(), nullable=True),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("platform_ts", Ts, nullable=True),
        sa.Column("received_ts", Ts, nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("platform", "message_id", name=op.f("uq_events_platform_message_id")),
    )
    op.create_index(op.f("ix_events_room_received_ts"), "events", ["room", "received_ts"])
    op.create_index(op.f("ix_events_type_received_ts"), "events", ["type", "received_ts"])

    op.create_table(
        "shops",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), server_default="CNY", nullable=False),
        sa.Column("data", Json, nullable=True),
        sa.Column("created_ts", Ts, nullable=False),
        sa.Column("updated_ts", Ts, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
    )
    op.create_table(
        "products",
        _id(),
        sa.Column("shop", sa.String(), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("price", Money, nullable=False),
        sa.Column("promo_price", Money, nullable=True),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("data", Json, nullable=True),
        sa.Column("updated_ts", Ts, nullable=False),
        sa.ForeignKeyConstraint(["shop"], ["shops.id"], name=op.f("fk_products_shop_shops"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("shop", "sku", name=op.f("uq_products_shop_sku")),
    )

    op.create_table(
        "viewers",
        _id(),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("first_seen_ts", Ts, nullable=False),
        sa.Column("last_seen_ts", Ts, nullable=False),
        sa.Column("data", Json, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viewers")),
        sa.UniqueConstraint("platform", "user_id", name=op.f("uq_viewers_platform_user_id")),
    )
    op.create_table(
        "contacts",
        _id(),
        sa.Column("viewer_id", BigId, nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("consent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("data", Json, nullable=True),
        sa.Column("created_ts", Ts, nullable=False),
        sa.ForeignKeyConstraint(["viewer_id"], ["viewers.id"], name=op.f("fk_contacts_viewer_id_viewers"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_contacts_kind_value")),
    )

    op.create_table(
        "rooms",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=True),
        sa.Column("platform_room_id", sa.String(), nullable=True),
        sa.Column("shop", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("data", Json, nullable=True),
        sa.Column("created_ts", Ts, nullable=False),
        sa.Column("updated_ts", Ts, nullable=False),
        sa.ForeignKeyConstraint(["shop"], ["shops.id"], name=op.f("fk_rooms_shop_shops"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rooms")),
    )
    op.create_table(
        "broadcasts",
        _id(),
        sa.Column("room", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="planned", nullable=False),
        sa.Column("planned_ts", Ts, nullable=True),
        sa.Column("started_ts", Ts, nullable=True),
        sa.Column("ended_ts", Ts, nullable=True),
        sa.Column("data", Json, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index(op.f("ix_broadcasts_room_started_ts"), "broadcasts", ["room", "started_ts"])

    op.create_table(
        "replies",
        _id(),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("room", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("answers", Json, nullable=False),
        sa.Column("created_ts", Ts, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replies")),
        sa.UniqueConstraint("event_id", name=op.f("uq_replies_event_id")),
    )
    op.create_index(op.f("ix_replies_room_created_ts"), "replies", ["room", "created_ts"])

    op.create_table(
        "schedules",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("job_type", sa.String(), nullable=False),
        sa.Column("args", Json, nullable=False),
        sa.Column("trigger", Json, nullable=False),
        sa.Column("room", sa.String(), nullable=True),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_ts", Ts, nullable=False),
        sa.Column("updated_ts", Ts, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    op.create_table(
        "outbound_content",
        _id(),
        sa.Column("room", sa.String(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("scheduled_ts", Ts, nullable=True),
        sa.Column("sent_ts", Ts, nullable=True),
        sa.Column("data", Json, nullable=True),
        sa.Column("created_ts", Ts, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_content")),
    )
    op.create_index(op.f("ix_outbound_content_status_scheduled_ts"), "outbound_content",
                    ["status", "scheduled_ts"])

    op.create_table(
        "audit_log",
        _id(),
        sa.Column("ts", Ts, nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("detail", Json, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_ts"), "audit_log", ["ts"])


def downgrade() -> None:
    for index, table in (("ix_audit_log_ts", "audit_log"),
                         ("ix_outbound_content_status_scheduled_ts", "outbound_content"),
                         ("ix_replies_room_created_ts", "replies"),
                         ("ix_broadcasts_room_started_ts", "broadcasts"),
                         ("ix_events_type_received_ts", "events"),
                         ("ix_events_room_received_ts", "events")):
        op.drop_index(op.f(index), table_name=table)
    for table in ("audit_log", "outbound_content", "schedules", "replies", "broadcasts", "rooms",
                  "contacts", "viewers", "products", "shops", "events"):
        op.drop_table(table)
