"""Late checkout paid with loyalty points: the points a stay request holds (0 for one paid in money).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stay_requests", sa.Column("points_paid", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("stay_requests") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("points_paid")
