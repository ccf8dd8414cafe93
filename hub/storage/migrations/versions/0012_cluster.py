"""Cluster: the hub processes sharing the database and the leases that say which one runs each room.

Revision ID: 0012
Revises: 0011

``cluster_nodes`` has one row per process (its role, address, capacity, rooms, whether it drains, its last
heartbeat); ``room_leases`` one row per room: its owner, the lease's expiry and the fencing token, raised at
every acquisition (hub/cluster, docs/scale-out.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_nodes",
        sa.Column("node", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("rooms", sa.Integer(), nullable=False),
        sa.Column("draining", sa.Boolean(), nullable=False),
        sa.Column("started_ts", sa.Double(), nullable=False),
        sa.Column("heartbeat_ts", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("node", name=op.f("pk_cluster_nodes")),
    )
    op.create_table(
        "room_leases",
        sa.Column("room", sa.String(), nullable=False),
        sa.Column("owner", sa.String(128)),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("acquired_ts", sa.Double(), nullable=False),
        sa.Column("expires_ts", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("room", name=op.f("pk_room_leases")),
    )


def downgrade() -> None:
    op.drop_table("room_leases")
    op.drop_table("cluster_nodes")
