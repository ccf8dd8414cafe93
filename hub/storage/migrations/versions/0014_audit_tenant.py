"""Tenants in the audit log: each entry may belong to a tenant.

Revision ID: 0014
Revises: 0013

``audit_log.tenant``: the tenant an entry is about (the tenant of the room it names, or of the campaign it is
about; hub/tenants.py), NULL for the operator's own entries (every existing one). A tenant's token reads its own
entries only (``GET /api/v1/audit``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("tenant", sa.String(80)))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("tenant")
