"""The worker loop thread and the per-guest queues on it: order per guest, a bounded number at once, a free caller."""

from __future__ import annotations

import asyncio
import threading

from connectors.whatsapp.inbound import Inbound, SenderQueues
from connectors.worker import LoopThread


def item(sender: str, number: int) -> Inbound:
    """A text message ``number`` from ``sender``."""
    return Inbound(sender, f"wamid.{sender}.{number}", "text", str(number), {})


async def test_messages_block_the_worker_not_the_caller_and_keep_their_order() -> None:
    worker = LoopThread("test-worker")
    handled: list[tuple[str, str]] = []
    first_started = threading.Event()
    release = threading.Event()
    active = most_active = 0
    queues: list[SenderQueues] = []

    async def handle(message: Inbound) -> None:
        nonlocal active, most_active
        active += 1
        most_active = max(most_active, active)
        first_started.set()
        # Blocks the loop it runs on, like Rasa's synchronous NLU and SQL work, until the caller's loop says so:
        # if this ran on the caller's loop, the caller could never set ``release`` and the wait would time out.
        assert release.wait(timeout=10)
        await asyncio.sleep(0)
        handled.append((message.sender, str(message.text)))
        active -= 1

    def enqueue(items: list[Inbound]) -> None:
        if not queues:
            queues.append(SenderQueues(handle, max_active=2))
        for one in items:
            queues[0].submit(one)

    senders = [f"guest{index}" for index in range(4)]
    try:
        for number in range(3):
            worker.call_soon(enqueue, [item(sender, number) for sender in senders])
        assert await asyncio.to_thread(first_started.wait, 10)
        await asyncio.sleep(0.01)  # the caller's loop runs while the worker is blocked
        release.set()
        await worker.run(queues[0].join(timeout=10))
    finally:
        worker.stop()

    assert len(handled) == 12
    for sender in senders:
        assert [text for who, text in handled if who == sender] == ["0", "1", "2"]
    assert most_active <= 2
    assert not worker.running


async def test_at_most_max_active_messages_are_handled_at_once() -> None:
    worker = LoopThread("test-worker")
    active = most_active = 0

    async def handle(_message: Inbound) -> None:
        nonlocal active, most_active
        active += 1
        most_active = max(most_active, active)
        await asyncio.sleep(0.01)  # waiting on I/O (the action server, the Graph API): others may start
        active -= 1

    async def enqueue(items: list[Inbound]) -> SenderQueues:
        queues = SenderQueues(handle, max_active=3)
        for one in items:
            queues.submit(one)
        return queues

    try:
        queues = await worker.run(enqueue([item(f"guest{index}", 0) for index in range(10)]))
        await worker.run(queues.join(timeout=10))
    finally:
        worker.stop()
    assert most_active == 3
