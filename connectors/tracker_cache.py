"""Keeps recently used conversations in memory next to Rasa's SQL tracker store, checked against the database.

Rasa's SQLTrackerStore re-reads every event of the conversation on each message, deserialises it and replays it into
a new tracker, and before each save counts the stored events with an ORM query: ~20 % of the Rasa process under
load (py-spy, README "Performance"). Here the tracker a message was answered with is kept, with the database's
stamp of that conversation: the number of its rows and their highest id. Events are only ever appended (Rasa never
updates or deletes them), so an unchanged stamp means nothing was written since, by this process or any other
(several Rasa servers can share the database); a changed stamp means the tracker is read again exactly as Rasa
reads it. A save of a kept tracker appends the events added since it was kept, the ones Rasa's count would find.

A kept tracker is lent to one caller at a time (Rasa handles a conversation's messages one by one, under the lock
store): another retrieve meanwhile reads the database. A tracker with events that were never saved, or whose new
events start a conversation session (a fresh read holds only the latest session), is not handed out again.

A save writes its new rows with one Core executemany (same columns and JSON as Rasa's save): Rasa added one ORM
object per event and flushed them through the unit of work, ~9 % of the process under load.
"""

from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

Stamp = tuple[int, int | None]  # (rows of the conversation, highest row id)
SESSION = SessionStarted.type_name

# The sender id bound ``times`` times in each DB-API paramstyle (PEP 249): the placeholders and the arguments.
_PARAMETERS: dict[str, Callable[[str, int], tuple[list[str], Any]]] = {
    "qmark": lambda value, times: (["?"] * times, (value,) * times),
    "format": lambda value, times: (["%s"] * times, (value,) * times),
    "numeric": lambda value, times: ([f":{n + 1}" for n in range(times)], (value,) * times),
    "named": lambda value, times: ([":sender_id"] * times, {"sender_id": value}),
    "pyformat": lambda value, times: (["%(sender_id)s"] * times, {"sender_id": value}),
}


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    stamp: Stamp
    stored: int  # how many of tracker.events are in the database
    lent: bool = True


class TrackerCache(SQLTrackerStore):
    """SQLTrackerStore whose `retrieve` and `save` reuse the last tracker of a conversation while it is current."""

    kept_conversations = 1000  # most recently used conversations kept in memory

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Rasa's SQLTrackerStore with an empty cache."""
        super().__init__(*args, **kwargs)
        self._kept: OrderedDict[str, _Kept] = OrderedDict()

    def _query(self, session: Any, sql: str, sender_id: str) -> Any:
        """One row of ``sql`` ({events} the table, {sender} each place of the sender id), in the driver's own
        parameter style: building and caching an SQLAlchemy statement for these took longer than running them."""
        connection = session.connection()
        places, arguments = _PARAMETERS[connection.dialect.paramstyle](sender_id, sql.count("{sender}"))
        for place in places:
            sql = sql.replace("{sender}", place, 1)
        return connection.exec_driver_sql(sql.replace("{events}", self.SQLEvent.__tablename__), arguments).one()

    def _stamp(self, session: Any, sender_id: str) -> Stamp:
        """The conversation's row count and highest row id, from its sender_id index."""
        count, highest = self._query(
            session, "SELECT count(id), max(id) FROM {events} WHERE sender_id = {sender}", sender_id
        )
        return int(count), highest

    def _stored_in_session(self, session: Any, sender_id: str) -> int:
        """Rasa's count of the stored events of the latest session (its `_event_query(...).count()`), in plain SQL."""
        latest = f"(SELECT max(timestamp) FROM {{events}} WHERE sender_id = {{sender}} AND type_name = '{SESSION}')"
        sql = "SELECT count(id) FROM {events} WHERE sender_id = {sender}"
        sql += f" AND (timestamp >= {latest} OR {latest} IS NULL)"
        return int(self._query(session, sql, sender_id)[0])

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The kept tracker if the database has not changed since it was kept, else Rasa's read."""
        with self.session_scope() as session:
            stamp = self._stamp(session, sender_id)
        if stamp[0] == 0:
            return None  # no rows: Rasa's read finds nothing either
        kept = self._kept.get(sender_id)
        if kept and not kept.lent and kept.stamp == stamp and len(kept.tracker.events) == kept.stored:
            kept.lent = True
            self._kept.move_to_end(sender_id)
            return kept.tracker
        tracker = await super().retrieve(sender_id)
        if tracker is None or (kept and kept.lent):
            return tracker  # nothing to keep, or the borrower saves its own
        with self.session_scope() as session:
            unchanged = self._stamp(session, sender_id) == stamp  # nothing written while reading
        if unchanged:
            self._keep(sender_id, _Kept(tracker, stamp, len(tracker.events)))
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The events a kept tracker gained since it was stored; Rasa's count query for any other tracker."""
        kept = self._kept.get(tracker.sender_id)
        if kept and kept.tracker is tracker and kept.stamp == self._stamp(session, tracker.sender_id):
            return itertools.islice(tracker.events, kept.stored, None)
        self._kept.pop(tracker.sender_id, None)
        return itertools.islice(tracker.events, self._stored_in_session(session, tracker.sender_id), None)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save, with the rows written in one executemany; a kept tracker stays kept when the database holds
        exactly its events afterwards (stamped in the same transaction as the insert)."""
        await self.stream_events(tracker)
        sender = tracker.sender_id
        with self.session_scope() as session:
            added = list(self._additional_events(session, tracker))  # drops a kept tracker that is not current
            if added:
                session.execute(self.SQLEvent.__table__.insert(), [_row(sender, event) for event in added])
            kept = self._kept.get(sender)
            stamp = self._stamp(session, sender) if kept is not None and kept.tracker is tracker else None
            session.commit()
        if kept is None or stamp is None:
            return
        if stamp[0] != kept.stamp[0] + len(added) or any(isinstance(event, SessionStarted) for event in added):
            self._kept.pop(sender, None)  # someone else wrote too, or a new session: read it next time
            return
        kept.stamp, kept.stored, kept.lent = stamp, len(tracker.events), False

    def _keep(self, sender_id: str, kept: _Kept) -> None:
        self._kept[sender_id] = kept
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.kept_conversations:
            self._kept.popitem(last=False)


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """The events-table row Rasa's SQLTrackerStore.save writes for ``event`` (same columns, same JSON)."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }
