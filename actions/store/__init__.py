"""Our own SQL tables (handoff requests, ...) and the asyncio engine that reaches them; schema by Alembic."""
