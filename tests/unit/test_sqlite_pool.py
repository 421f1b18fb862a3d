"""The SQLite tracker store keeps pooled connections (with WAL) and stores and loads conversations as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.slots import AnySlot
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from actions.settings import get_settings
from connectors.stores import DatabaseUrlTrackerStore


def _conversation(sender: str) -> DialogueStateTracker:
    conversation = DialogueStateTracker(sender, slots=[AnySlot("language", mappings=[])])
    conversation.update(UserUttered("hola", {"name": "greet", "confidence": 1.0}))
    conversation.update(ActionExecuted("action_greet"))
    conversation.update(SlotSet("language", "es"))
    return conversation


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/tracker.db")
    get_settings.cache_clear()
    store = DatabaseUrlTrackerStore(domain=Domain.empty())
    yield store
    store.engine.dispose()
    get_settings.cache_clear()


def test_pooled_engine_with_wal(store: DatabaseUrlTrackerStore) -> None:
    assert isinstance(store.engine.pool, QueuePool)
    assert store.sessionmaker.kw["bind"] is store.engine
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


async def test_same_stored_events_as_rasa_sqlite_store(store: DatabaseUrlTrackerStore, tmp_path: Path) -> None:
    plain = SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "plain.db"))
    conversation = _conversation("guest-7")
    for tracker_store in (store, plain):
        await tracker_store.save(conversation)
    conversation.update(ActionExecuted("action_listen"))
    for tracker_store in (store, plain):
        await tracker_store.save(conversation)  # only the new event is appended
    ours, theirs = await store.retrieve("guest-7"), await plain.retrieve("guest-7")
    assert ours is not None and theirs is not None
    assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in theirs.events]
    assert [e.as_dict()["event"] for e in ours.events] == ["user", "action", "slot", "action"]
    plain.engine.dispose()


async def test_connections_are_reused(store: DatabaseUrlTrackerStore) -> None:
    for sender in ("a", "b", "c"):
        await store.save(_conversation(sender))
        await store.retrieve(sender)
    assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert store.engine.pool.checkedin() == 1  # type: ignore[attr-defined]  # one connection, opened once
