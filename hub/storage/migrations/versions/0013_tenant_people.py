"""Tenants in the built-in CRM: each person, account and segment belongs to a tenant.

Revision ID: 0013
Revises: 0012

``people``, ``person_identities`` and ``segments`` gain ``tenant`` ("" the operator's, which every existing row
is): an account is a person once per tenant (the unique key is now tenant, platform and user id), and a
segment's name is unique within its tenant (hub/tenants.py, docs/scale-out.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("tenant", sa.String(80), nullable=False, server_default=sa.text("''")))
    with op.batch_alter_table("people") as batch:  # existing rows are the operator's; new rows name theirs
        batch.alter_column("tenant", server_default=None)
    with op.batch_alter_table("person_identities") as batch:
        batch.add_column(sa.Column("tenant", sa.String(80), nullable=False, server_default=sa.text("''")))
    with op.batch_alter_table("person_identities") as batch:
        batch.alter_column("tenant", server_default=None)
        batch.drop_constraint("uq_person_identities_platform_user_id", type_="unique")
        batch.create_unique_constraint("uq_person_identities_tenant_platform_user_id",
                                       ["tenant", "platform", "user_id"])
    with op.batch_alter_table("segments") as batch:
        batch.add_column(sa.Column("tenant", sa.String(80), nullable=False, server_default=sa.text("''")))
    with op.batch_alter_table("segments") as batch:
        batch.alter_column("tenant", server_default=None)
        batch.drop_constraint("pk_segments", type_="primary")
        batch.create_primary_key("pk_segments", ["tenant", "name"])


def downgrade() -> None:
    with op.batch_alter_table("segments") as batch:
        batch.drop_constraint("pk_segments", type_="primary")
        batch.create_primary_key("pk_segments", ["name"])
        batch.drop_column("tenant")
    with op.batch_alter_table("person_identities") as batch:
        batch.drop_constraint("uq_person_identities_tenant_platform_user_id", type_="unique")
        batch.create_unique_constraint("uq_person_identities_platform_user_id", ["platform", "user_id"])
        batch.drop_column("tenant")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("tenant")
