"""SQLAlchemy models of conserje's own tables. The schema is created by Alembic migrations (migrations/)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Integer, String, Text
from sqlalchemy.orm import declarative_base

Base: Any = declarative_base()  # SQLAlchemy 1.4's declarative base is dynamic; typed as Any for mypy


class HandoffRequest(Base):
    """A guest asked for a person; staff see it (admin API) and close it when handled."""

    __tablename__ = "handoff_requests"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=False)
    language = Column(String(2), nullable=False)
    reason = Column(String(32), nullable=False)  # "asked" | "fallback"
    last_message = Column(Text, nullable=True)
    status = Column(String(16), nullable=False, default="open")
    created_at = Column(DateTime(timezone=True), nullable=False)
    closed_at = Column(DateTime(timezone=True), nullable=True)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready view for the admin API."""
        created: datetime = self.created_at  # type: ignore[assignment]
        closed: datetime | None = self.closed_at  # type: ignore[assignment]
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "channel": self.channel,
            "language": self.language,
            "reason": self.reason,
            "last_message": self.last_message,
            "status": self.status,
            "created_at": created.isoformat(),
            "closed_at": closed.isoformat() if closed else None,
        }
