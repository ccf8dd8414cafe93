"""CRM writes that wait: a due time on the outbox, and withdrawn writes.

Revision ID: 0006
Revises: 0005

``crm_outbox.due_ts`` holds a write back until then (a lead that an order within N minutes makes unnecessary,
a viewer's visit note written once the visit is over); NULL means at once. A waiting write can be withdrawn
(state ``cancelled``) or amended (a visit note gains the viewer's next question) while it is not due.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crm_outbox") as batch:
        batch.add_column(sa.Column("due_ts", sa.Double()))


def downgrade() -> None:
    with op.batch_alter_table("crm_outbox") as batch:
        batch.drop_column("due_ts")
