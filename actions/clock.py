"""The one clock of both processes.

Every "now" of the Rasa server (date resolution) and of the action server (opening hours, offers) comes from
here. ``CONSERJE_NOW`` pins it to an ISO 8601 date-time with an offset, which is how demos and end-to-end tests
reach a given day and hour; unset, it is the real time. The variable is read on every call (cheap), so nothing
is frozen at import time.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone, tzinfo

from actions.errors import ConfigError

ENV_VAR = "CONSERJE_NOW"


def pinned() -> datetime | None:
    """The pinned instant, or None when the clock runs free.

    Raises:
        ConfigError: CONSERJE_NOW is set but is not an ISO 8601 date-time with an offset.
    """
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ConfigError(f"{ENV_VAR}={raw!r} is not an ISO 8601 date-time") from exc
    if value.tzinfo is None:
        raise ConfigError(f"{ENV_VAR}={raw!r} needs an offset, e.g. 2026-12-10T10:00:00-03:00")
    return value


def now(tz: tzinfo | None = None) -> datetime:
    """The current instant as an aware datetime, in ``tz`` when given (UTC otherwise)."""
    current = pinned() or datetime.now(timezone.utc)
    return current.astimezone(tz or timezone.utc)
