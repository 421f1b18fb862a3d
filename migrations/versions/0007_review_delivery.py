"""Review request delivery: the templates' WhatsApp message ids and what their receipts said.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("review_requests", sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("review_requests", sa.Column("delivery_failed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "review_request_messages",
        sa.Column("wamid", sa.String(128), primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("review_requests.id"), nullable=False, index=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.Integer, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("review_request_messages")
    with op.batch_alter_table("review_requests") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("delivery_failed_at")
        batch.drop_column("delivered_at")
