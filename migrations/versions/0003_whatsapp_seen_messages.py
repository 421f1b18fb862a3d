"""WhatsApp message ids already handled (webhook de-duplication when REDIS_URL is unset).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_seen_messages",
        sa.Column("message_id", sa.String(255), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_whatsapp_seen_messages_received_at", "whatsapp_seen_messages", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_whatsapp_seen_messages_received_at", table_name="whatsapp_seen_messages")
    op.drop_table("whatsapp_seen_messages")
