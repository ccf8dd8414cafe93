"""The built-in CRM's people: one contact per person across platforms, their accounts and their timeline.

Revision ID: 0005
Revises: 0004

``people`` holds a person (name, email, phone, consent; a person merged into another keeps its row with
``merged_into``), ``person_identities`` their platform accounts (unique per platform and user id), and
``person_activities`` their timeline (notes, deals, merges and refused merges). Written by the built-in CRM
connector (``connectors/crm_builtin``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String()),
        sa.Column("phone", sa.String()),
        sa.Column("consent", sa.String(16), nullable=False),
        sa.Column("merged_into", BigId),
        sa.Column("created_ts", sa.Double(), nullable=False),
        sa.Column("updated_ts", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_index(op.f("ix_people_email"), "people", ["email"])
    op.create_table(
        "person_identities",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("created_ts", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_person_identities_person_id_people"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_identities")),
        sa.UniqueConstraint("platform", "user_id", name=op.f("uq_person_identities_platform_user_id")),
    )
    op.create_table(
        "person_activities",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", Json),
        sa.Column("ts", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_person_activities_person_id_people"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_activities")),
    )
    op.create_index(op.f("ix_person_activities_person_id_ts"), "person_activities", ["person_id", "ts"])


def downgrade() -> None:
    op.drop_index(op.f("ix_person_activities_person_id_ts"), table_name="person_activities")
    op.drop_table("person_activities")
    op.drop_table("person_identities")
    op.drop_index(op.f("ix_people_email"), table_name="people")
    op.drop_table("people")
