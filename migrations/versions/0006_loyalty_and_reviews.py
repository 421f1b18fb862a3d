"""Loyalty ledger (one row per award, unique per source + reference) and post-stay review requests.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loyalty_accounts",
        sa.Column("guest_key", sa.String(64), primary_key=True),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "loyalty_ledger",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("guest_key", sa.String(64), sa.ForeignKey("loyalty_accounts.guest_key"), nullable=False, index=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("requested", sa.Integer, nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("day", sa.Date, nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source", "reference", name="uq_loyalty_ledger_source_reference"),
    )
    op.create_table(
        "review_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reservation_code", sa.String(16), nullable=False, unique=True),
        sa.Column("guest_key", sa.String(64), nullable=True, index=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("segment", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminders_sent", sa.Integer, nullable=False),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback", sa.Text, nullable=True),
        sa.Column("sentiment", sa.String(8), nullable=True),
        sa.Column("handoff_id", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "review_links",
        sa.Column("token", sa.String(32), primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("review_requests.id"), nullable=False, index=True),
        sa.Column("platform", sa.String(16), nullable=False),
    )
    op.create_table(
        "review_clicks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token", sa.String(32), sa.ForeignKey("review_links.token"), nullable=False, index=True),
        sa.Column("clicked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "message_opt_outs",
        sa.Column("guest_key", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("message_opt_outs", "review_clicks", "review_links", "review_requests", "loyalty_ledger"):
        op.drop_table(table)
    op.drop_table("loyalty_accounts")
