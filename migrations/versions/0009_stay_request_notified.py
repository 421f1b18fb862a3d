"""Staff decisions the guest was told of: stay_requests.notified_at (the action server retries the others).

Rows decided before this migration are taken as told (their decision was announced, or staff saw
``guest_notified: false``), so no guest hears an old decision again.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stay_requests", sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE stay_requests SET notified_at = decided_at WHERE status IN ('approved', 'rejected')")


def downgrade() -> None:
    with op.batch_alter_table("stay_requests") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("notified_at")
