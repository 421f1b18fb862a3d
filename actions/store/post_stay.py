"""Tables of the loyalty ledger and the post-stay review requests (migration 0006; delivery receipts 0007).

A review request moves on like this (reminders at most ``reviews.reminders``, none after a reply):

    scheduled ──due, 09:00–21:00──▶ sent ──rating──▶ replied
        │                            └─(no reply)─▶ sent again as a reminder
        ├──guest opted out──▶ opted_out
        └──no WhatsApp number──▶ no_channel

Delivery is tracked beside the status: every template sent for a request (first send and reminders) is a
``ReviewMessageRow`` keyed by Meta's message id (wamid), recorded by the WhatsApp channel in the Rasa process; its
``delivered`` or ``read`` receipt sets the request's ``delivered_at`` (the earliest), a ``failed`` one sets
``delivery_failed_at`` while nothing was delivered.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint

from actions.store.models import Base


class LoyaltyAccount(Base):
    """A guest of the programme; its row is locked by every award so awards of one guest never interleave."""

    __tablename__ = "loyalty_accounts"

    guest_key = Column(String(64), primary_key=True)  # phone digits, or the email (lower case)
    label = Column(String(64), nullable=False)  # the masked name shown on the leaderboard ("A*** P.")
    created_at = Column(DateTime(timezone=True), nullable=False)
    touched_at = Column(DateTime(timezone=True), nullable=False)


class LedgerRow(Base):
    """One award (points ≥ 0, trimmed by the daily cap) or redemption (points < 0)."""

    __tablename__ = "loyalty_ledger"
    __table_args__ = (UniqueConstraint("source", "reference", name="uq_loyalty_ledger_source_reference"),)

    id = Column(Integer, primary_key=True)
    guest_key = Column(String(64), ForeignKey("loyalty_accounts.guest_key"), nullable=False, index=True)
    source = Column(String(40), nullable=False)  # an event (stay_completed ...) or redeem:<reward>
    reference = Column(String(64), nullable=False)  # what the event is about (booking code, request id ...)
    requested = Column(Integer, nullable=False)  # the points the rules give, before the cap
    points = Column(Integer, nullable=False)
    day = Column(Date, nullable=False, index=True)  # hotel-time day, the cap's unit
    created_at = Column(DateTime(timezone=True), nullable=False)


class ReviewRequestRow(Base):
    """One stay's review request."""

    __tablename__ = "review_requests"

    id = Column(Integer, primary_key=True)
    reservation_code = Column(String(16), nullable=False, unique=True)
    guest_key = Column(String(64), nullable=True, index=True)  # WhatsApp number digits (549… folded to 54…)
    channel = Column(String(16), nullable=False)
    language = Column(String(2), nullable=False)
    segment = Column(String(16), nullable=False)
    status = Column(String(16), nullable=False, index=True)
    due_at = Column(DateTime(timezone=True), nullable=False, index=True)  # the next send (first or reminder)
    sent_at = Column(DateTime(timezone=True), nullable=True)
    reminders_sent = Column(Integer, nullable=False, default=0)
    rating = Column(Integer, nullable=True)
    replied_at = Column(DateTime(timezone=True), nullable=True)
    feedback = Column(Text, nullable=True)
    sentiment = Column(String(8), nullable=True)
    handoff_id = Column(Integer, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    delivered_at = Column(DateTime(timezone=True), nullable=True)  # earliest delivered/read receipt of a template
    delivery_failed_at = Column(DateTime(timezone=True), nullable=True)  # a template failed (none delivered then)


class ReviewMessageRow(Base):
    """One review-request template as WhatsApp knows it (wamid), and what its receipts said."""

    __tablename__ = "review_request_messages"

    wamid = Column(String(128), primary_key=True)  # Meta's id of the sent message ("wamid.…")
    request_id = Column(Integer, ForeignKey("review_requests.id"), nullable=False, index=True)
    sent_at = Column(DateTime(timezone=True), nullable=False)
    status = Column(String(16), nullable=False)  # accepted → delivered / read, or failed
    error_code = Column(Integer, nullable=True)  # Meta's code of a failed receipt
    updated_at = Column(DateTime(timezone=True), nullable=True)


class ReviewLinkRow(Base):
    """A tracked link to a public review platform: GET /r/<token> records a click and redirects."""

    __tablename__ = "review_links"

    token = Column(String(32), primary_key=True)
    request_id = Column(Integer, ForeignKey("review_requests.id"), nullable=False, index=True)
    platform = Column(String(16), nullable=False)


class ReviewClickRow(Base):
    """One click on a tracked link."""

    __tablename__ = "review_clicks"

    id = Column(Integer, primary_key=True)
    token = Column(String(32), ForeignKey("review_links.token"), nullable=False, index=True)
    clicked_at = Column(DateTime(timezone=True), nullable=False)


class OptOutRow(Base):
    """A guest who asked for no more proactive messages: kept for good."""

    __tablename__ = "message_opt_outs"

    guest_key = Column(String(64), primary_key=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
