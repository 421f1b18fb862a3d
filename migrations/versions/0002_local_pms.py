"""Local PMS: rooms, reservations, one row per room-night (no double booking), folio charges.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pms_rooms",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("room_type", sa.String(32), nullable=False, index=True),
    )
    op.create_table(
        "pms_reservations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("room_number", sa.Integer, sa.ForeignKey("pms_rooms.number"), nullable=False),
        sa.Column("room_type", sa.String(32), nullable=False),
        sa.Column("check_in", sa.Date, nullable=False, index=True),
        sa.Column("check_out", sa.Date, nullable=False, index=True),
        sa.Column("guests", sa.Integer, nullable=False),
        sa.Column("guest_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, index=True),
        sa.Column("phone_digits", sa.String(32), nullable=True, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("nightly_rate_cents", sa.Integer, nullable=False),
        sa.Column("total_cents", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("checkin_time", sa.String(5), nullable=False),
        sa.Column("checkout_time", sa.String(5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "pms_room_nights",
        sa.Column("room_number", sa.Integer, sa.ForeignKey("pms_rooms.number"), primary_key=True),
        sa.Column("night", sa.Date, primary_key=True),
        sa.Column(
            "reservation_id",
            sa.Integer,
            sa.ForeignKey("pms_reservations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
    )
    op.create_table(
        "pms_charges",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reservation_id", sa.Integer, sa.ForeignKey("pms_reservations.id"), nullable=False, index=True),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pms_charges")
    op.drop_table("pms_room_nights")
    op.drop_table("pms_reservations")
    op.drop_table("pms_rooms")
