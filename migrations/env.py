"""Alembic environment: migrates the database named by DATABASE_URL (SQLite by default)."""

from __future__ import annotations

from pathlib import Path

from alembic import context
from sqlalchemy import create_engine

from actions.settings import get_settings
from actions.store.models import Base

url = get_settings().sync_database_url()
if url.get_backend_name() == "sqlite" and url.database:
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
engine = create_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
