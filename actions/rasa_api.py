"""The action server's one call into Rasa's HTTP API: trigger_intent, for messages the guest did not ask for.

Staff decisions on late checkout / early check-in (actions/stay_requests.py) and post-stay review requests
(actions/reviews.py) reach the guest this way: Rasa runs the intent's rule in the conversation and sends the replies
on ``output_channel`` (``latest``: where the guest last wrote; ``whatsapp`` for a proactive template).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import aiohttp

from actions.errors import RasaUnreachable
from actions.settings import Settings


async def trigger_intent(
    settings: Settings, conversation_id: str, intent: str, entities: dict[str, Any], output_channel: str
) -> None:
    """POST /conversations/{id}/trigger_intent on RASA_URL (with RASA_AUTH_TOKEN when set).

    Raises:
        RasaUnreachable: Rasa could not be reached or answered other than 200.
    """
    params = {"output_channel": output_channel}
    if settings.rasa_auth_token:
        params["token"] = settings.rasa_auth_token
    url = f"{settings.rasa_url}/conversations/{quote(conversation_id, safe='')}/trigger_intent"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
            session.post(url, params=params, json={"name": intent, "entities": entities}) as reply,
        ):
            status = reply.status
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise RasaUnreachable(f"Rasa unreachable ({type(exc).__name__})") from exc
    if status != 200:
        raise RasaUnreachable(f"Rasa answered HTTP {status}")
