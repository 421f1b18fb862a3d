"""QR confirmation images served to guests, kept until the booking's departure day has passed.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qr_images",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("reservation_code", sa.String(16), nullable=False, index=True),
        sa.Column("remove_after", sa.Date, nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("qr_images")
