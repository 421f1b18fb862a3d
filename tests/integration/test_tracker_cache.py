"""Kept trackers (connectors/tracker_cache.py) on SQLite and PostgreSQL: reused while current, never stale or unsaved.

Each test compares with what a store that has never seen the conversation reads from the database, which is
Rasa's own SQLTrackerStore read; two stores on one database stand for two Rasa servers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import func, select

from connectors.stores import DatabaseUrlTrackerStore


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """DATABASE_URL of an empty database of each kind."""
    url = f"sqlite:///{tmp_path}/tracker.db" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def _store() -> DatabaseUrlTrackerStore:
    return DatabaseUrlTrackerStore(domain=Domain.empty())


async def _message(store: DatabaseUrlTrackerStore, text: str) -> DialogueStateTracker:
    """One guest message handled as Rasa's processor does: fetch (or create), update, save."""
    tracker = await store.get_or_create_tracker("guest-1", append_action_listen=False)
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    return tracker


def _texts(tracker: DialogueStateTracker | None) -> list[str | None]:
    assert tracker is not None
    return [event.text for event in tracker.events if isinstance(event, UserUttered)]


async def _as_read_fresh(tracker: DialogueStateTracker) -> None:
    """The tracker equals what a new store reads, and the database holds no event twice."""
    fresh = _store()
    stored = await fresh.retrieve(tracker.sender_id)
    assert stored is not None
    assert [event.as_dict() for event in stored.events] == [event.as_dict() for event in tracker.events]
    with fresh.session_scope() as session:
        rows = session.execute(select(func.count()).select_from(fresh.SQLEvent)).scalar_one()
        full = await fresh.retrieve_full_tracker(tracker.sender_id)
    assert full is not None
    assert rows == len(full.events)


async def test_the_current_tracker_is_reused_and_stored_as_rasa_stores_it(database: str) -> None:
    store = _store()
    await _message(store, "hola")
    second = await _message(store, "dos")
    third = await _message(store, "tres")
    assert third is second  # kept: no read, deserialisation or replay of the conversation
    assert _texts(third) == ["hola", "dos", "tres"]
    await _as_read_fresh(third)


async def test_writes_by_another_server_are_seen(database: str) -> None:
    one, two = _store(), _store()
    await _message(one, "hola")
    kept = await _message(one, "dos")
    await _message(two, "tres")  # the next message went to the other server
    fourth = await _message(one, "cuatro")
    assert fourth is not kept
    assert _texts(fourth) == ["hola", "dos", "tres", "cuatro"]
    await _as_read_fresh(fourth)


async def test_unsaved_events_are_never_handed_out(database: str) -> None:
    store = _store()
    await _message(store, "hola")
    await _message(store, "dos")
    borrowed = await store.retrieve("guest-1")
    assert borrowed is not None
    borrowed.update(UserUttered("never saved"))  # the caller failed before saving
    again = await store.retrieve("guest-1")
    assert again is not borrowed
    assert _texts(again) == ["hola", "dos"]

    assert again is not None
    await store.save(again)
    again.update(UserUttered("after the save"))
    latest = await store.retrieve("guest-1")
    assert latest is not again
    assert _texts(latest) == ["hola", "dos"]


async def test_one_borrower_at_a_time(database: str) -> None:
    store = _store()
    await _message(store, "hola")
    await _message(store, "dos")
    first = await store.retrieve("guest-1")
    meanwhile = await store.retrieve("guest-1")  # e.g. GET /conversations/<id>/story during the message
    assert first is not None
    assert meanwhile is not None
    assert meanwhile is not first
    assert _texts(meanwhile) == _texts(first)
    first.update(UserUttered("tres"))
    await store.save(first)
    assert await store.retrieve("guest-1") is first
    await _as_read_fresh(first)


async def test_a_new_session_is_read_as_rasa_reads_it(database: str) -> None:
    store = _store()
    await _message(store, "hola")
    tracker = await _message(store, "dos")
    assert await store.retrieve("guest-1") is tracker
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("nueva sesión", {"name": "greet", "confidence": 1.0}))
    await store.save(tracker)
    latest = await store.retrieve("guest-1")
    assert latest is not tracker
    assert _texts(latest) == ["nueva sesión"]  # only the latest session, as Rasa reads it
    assert latest is not None
    await _as_read_fresh(latest)


async def test_the_session_count_and_the_empty_read_are_rasa_s(database: str) -> None:
    store = _store()
    assert await store.retrieve("guest-1") is None  # no rows: answered from the stamp
    with store.session_scope() as session:
        assert store._stored_in_session(session, "guest-1") == 0
    await _message(store, "hola")
    tracker = await _message(store, "dos")
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        tracker.update(event)
    await store.save(tracker)
    await _message(_store(), "tres")  # another server, after the new session started
    for sender in ("guest-1", "nobody"):
        with store.session_scope() as session:
            rasa_count = store._event_query(session, sender, fetch_events_from_all_sessions=False).count()
            assert store._stored_in_session(session, sender) == rasa_count
    assert rasa_count == 0 and await store.retrieve("nobody") is None
    with store.session_scope() as session:
        assert store._stored_in_session(session, "guest-1") == 5  # session_started, listen, user, greet, listen
