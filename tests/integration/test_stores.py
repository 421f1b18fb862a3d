"""The SQLite and PostgreSQL paths (migrations, our tables, Rasa's tracker store) and the Redis lock store."""

from __future__ import annotations

import pytest
import redis
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import services
from actions.conversation import ActionHandoff
from actions.store.models import HandoffRequest
from connectors.stores import DatabaseUrlTrackerStore, RedisUrlLockStore
from scripts.stack import migrate
from tests.unit.test_actions import tracker


async def test_migrations_and_handoff_on_postgres(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    migrate(postgres_url)
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    running = services.start()
    try:
        dispatcher = CollectingDispatcher()
        await ActionHandoff().run(dispatcher, tracker("necesito una persona", "human_handoff"), {})
        assert dispatcher.messages[0]["response"] == "utter_handoff_ack"
        async with running.db.session() as session:
            rows = (await session.execute(select(HandoffRequest))).scalars().all()
        assert [(row.conversation_id, row.reason) for row in rows] == [("guest-1", "asked")]
        assert running.settings.async_database_url().drivername == "postgresql+asyncpg"
    finally:
        await services.stop()


def _conversation(sender: str) -> DialogueStateTracker:
    conversation = DialogueStateTracker(sender, slots=[])
    conversation.update(UserUttered("hola", {"name": "greet", "confidence": 1.0}))
    conversation.update(ActionExecuted("action_greet"))
    conversation.update(SlotSet("language", "es"))
    return conversation


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_conversations_survive_a_restart(
    backend: str, request: pytest.FixtureRequest, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/tracker.db" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    monkeypatch.setenv("DATABASE_URL", url)
    domain = Domain.empty()
    first = DatabaseUrlTrackerStore(domain=domain)
    await first.save(_conversation("guest-42"))
    first.engine.dispose()
    restarted = DatabaseUrlTrackerStore(domain=domain)
    stored = await restarted.retrieve("guest-42")
    assert stored is not None
    assert [event.as_dict()["event"] for event in stored.events] == ["user", "action", "slot"]
    assert stored.latest_message.text == "hola"
    assert restarted.engine.url.get_backend_name() == backend
    restarted.engine.dispose()


async def test_redis_lock_store_is_shared_between_servers(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    one, two = RedisUrlLockStore(), RedisUrlLockStore()
    assert isinstance(one.backend, RedisLockStore)
    async with one.lock("guest-7", wait_time_in_seconds=0.01):
        # The other server sees the ticket issued by the first one: it would wait for its turn.
        assert two.get_lock("guest-7") is not None
        assert two.is_someone_waiting("guest-7") is True
        keys = redis.Redis.from_url(redis_url).keys("conserje*")
        assert keys, "the lock must live in Redis"
    assert two.get_lock("guest-7") is None


def test_without_redis_locks_are_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert isinstance(RedisUrlLockStore().backend, InMemoryLockStore)
