"""The WhatsApp webhook burst: signed webhook POSTs from distinct senders at a fixed rate, against the real stack.

Starts the action server and the Rasa server (scripts/stack.py, own SQLite database, pinned clock) with the
WhatsApp channel (credentials.whatsapp.yml) pointed at a local Graph API fake. The fake is imported from
tests.fakes.graph_api: acceptable for a bench script, which runs from a development checkout where the tests are.
An open-loop scheduler (one shared aiohttp session, 127.0.0.1 only) sends RATE POSTs per second (env
BENCH_WEBHOOK_RATE, default 200) for SECONDS (env BENCH_WEBHOOK_SECONDS, default 10): each POST is one "hola" from a
new sender, signed like Meta signs it, sent at its scheduled time whatever the earlier ones are doing. The number of
POSTs is bounded (RATE x SECONDS) and so is the time: nothing starts after the window plus one second.
Measures (1) the acknowledgement latency of each POST (target p99 <= 50 ms: Meta retries slow webhooks; also per
second of the burst, to tell the warm-up and passing load from a steady delay) and (2) the
time from the POST to the first outbound message the fake records for that sender, waiting up to REPLY_WAIT (60) s
after the burst. Prints the achieved send rate, acks by status, replies received / sent and whether the ack target is
met; it never fails on a missed target. Run it alone with `BENCH_ONLY=webhooks python -m scripts.bench`.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from connectors.whatsapp.signature import SIGNATURE_HEADER, sign
from scripts.stack import ROOT, Stack, migrate, stack_env
from scripts.train import ensure_model
from tests.fakes.graph_api import GraphApiFake

RATE = float(os.environ.get("BENCH_WEBHOOK_RATE", "200"))
SECONDS = float(os.environ.get("BENCH_WEBHOOK_SECONDS", "10"))
REPLY_WAIT = 60.0
LATE_START = 1.0  # a POST the scheduler could not start within this many seconds after the window is not sent
TARGET_ACK_P99_MS = 50.0
NOW = "2026-12-10T10:00:00-03:00"
APP_SECRET = "bench-app-secret-" + os.urandom(8).hex()
ACCESS_TOKEN = "EAAG-bench-access-token-" + os.urandom(8).hex()
VERIFY_TOKEN = "bench-verify-token"
PHONE_NUMBER_ID = "106540352242922"
VERSION = "v19.0"


class TimedGraphApiFake(GraphApiFake):
    """The Graph API fake, also noting when the first accepted message to each number arrived (time.monotonic)."""

    def __init__(self, access_token: str, phone_number_id: str, version: str = VERSION) -> None:
        """As GraphApiFake, with an empty table of first-message times."""
        super().__init__(access_token, phone_number_id, version)
        self.first_sent: dict[str, float] = {}

    def _record(self, request: web.Request, body: Any, status: int, answer: Any = None) -> None:
        super()._record(request, body, status, answer)
        if status == 200 and isinstance(body, dict) and body.get("status") != "read" and "to" in body:
            self.first_sent.setdefault(str(body["to"]), time.monotonic())


@dataclass
class Burst:
    """What the burst produced: when each sender's POST started, its ack latency and status."""

    sent_at: dict[str, float] = field(default_factory=dict)  # sender -> time.monotonic() when its POST started
    acks: list[float] = field(default_factory=list)  # seconds, every POST that got an HTTP answer
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (started, ack seconds) of each answer
    statuses: Counter[str] = field(default_factory=Counter)  # HTTP status, or the exception's name
    not_started: int = 0  # scheduled POSTs dropped because the scheduler fell more than LATE_START behind
    duration: float = 0.0  # from the first to the last POST started


def percentile(samples: list[float], p: int) -> float:
    """Percentile ``p`` of ``samples`` (seconds) in milliseconds; NaN without enough samples."""
    if len(samples) < 2:
        return float("nan")
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1] * 1000


def body_for(sender: str, index: int) -> bytes:
    """A webhook body as Meta writes it: one "hola" from ``sender``."""
    inbound: dict[str, Any] = {"from": sender, "id": f"wamid.BENCH{index:08d}{time.time_ns()}", "type": "text"}
    inbound.update(timestamp=str(int(time.time())), text={"body": "hola"})
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5491150001234", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": f"Guest {sender[-4:]}"}, "wa_id": sender}],
        "messages": [inbound],
    }
    entry = {"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}
    body = {"object": "whatsapp_business_account", "entry": [entry]}
    return json.dumps(body).encode()


async def post(session: aiohttp.ClientSession, url: str, sender: str, raw: bytes, burst: Burst) -> None:
    """One signed POST; records when it started, how long the ack took and its status."""
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(APP_SECRET, raw)}
    started = time.monotonic()
    burst.sent_at[sender] = started
    try:
        async with session.post(url, data=raw, headers=headers) as reply:
            await reply.read()
            burst.acks.append(time.monotonic() - started)
            burst.timeline.append((started, burst.acks[-1]))
            burst.statuses[str(reply.status)] += 1
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        burst.statuses[type(exc).__name__] += 1


async def fire(rasa_url: str) -> Burst:
    """The open-loop burst: POST number i starts at start + i / RATE, never waiting for the earlier ones."""
    burst = Burst()
    total = int(RATE * SECONDS)
    bodies = [(f"5215{i:09d}", body_for(f"5215{i:09d}", i)) for i in range(total)]  # signed and built ahead
    url = f"{rasa_url}/webhooks/whatsapp/webhook"
    timeout = aiohttp.ClientTimeout(total=10)
    connector = aiohttp.TCPConnector(limit=1000)  # an upper bound on POSTs in flight, far above the expected need
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        tasks: list[asyncio.Task[None]] = []
        start = time.monotonic() + 0.2
        for index, (sender, raw) in enumerate(bodies):
            due = start + index / RATE
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif -delay > LATE_START:
                burst.not_started = total - index
                break
            tasks.append(asyncio.create_task(post(session, url, sender, raw, burst)))
        if burst.sent_at:
            burst.duration = max(burst.sent_at.values()) - min(burst.sent_at.values())
        await asyncio.gather(*tasks)
    return burst


def wait_for_replies(graph: TimedGraphApiFake, burst: Burst) -> None:
    """Waits until every acknowledged sender has had an outbound message, or REPLY_WAIT seconds."""
    expected = len(burst.sent_at)
    deadline = time.monotonic() + REPLY_WAIT
    while time.monotonic() < deadline and len(graph.first_sent) < expected:
        time.sleep(0.2)


def per_second(burst: Burst) -> str:
    """The ack p99 of the POSTs started in each second of the burst (the first includes the warm-up)."""
    if not burst.timeline:
        return "none"
    start = min(started for started, _ in burst.timeline)
    seconds: dict[int, list[float]] = {}
    for started, ack in burst.timeline:
        seconds.setdefault(int(started - start), []).append(ack)
    return ", ".join(f"{percentile(acks, 99):.0f}" for _, acks in sorted(seconds.items()) if len(acks) > 1)


def report(graph: TimedGraphApiFake, burst: Burst) -> bool:
    """Prints the figures; True when the ack target is met."""
    sent = len(burst.sent_at)
    replies = [graph.first_sent[s] - t for s, t in burst.sent_at.items() if s in graph.first_sent]
    rate = (sent - 1) / burst.duration if burst.duration > 0 else float("nan")
    p99 = percentile(burst.acks, 99)
    ok = sent > 0 and burst.statuses.get("200", 0) == sent and p99 <= TARGET_ACK_P99_MS
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(burst.statuses.items()))
    print(f"webhook burst: target {RATE:g}/s for {SECONDS:g} s, {sent} POSTs from distinct senders")
    behind = f" ({burst.not_started} not started: the sender fell behind)" if burst.not_started else ""
    print(f"achieved send rate: {rate:.1f}/s{behind}")
    print(f"acks by status: {statuses or 'none'}")
    print(f"ack latency: p50 {percentile(burst.acks, 50):.1f} ms, p99 {p99:.1f} ms")
    print(f"ack p99 per second of the burst (ms): {per_second(burst)}")
    print(f"first reply: p50 {percentile(replies, 50):.0f} ms, p95 {percentile(replies, 95):.0f} ms")
    print(f"replies received / sent: {len(replies)} / {sent}")
    verdict = "MET" if ok else "NOT MET"
    print(f"target ack p99 <= {TARGET_ACK_P99_MS:g} ms (all 200): {verdict} ({p99:.1f} ms)")
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    if load > cpus:
        print(f"note: load average {load:.1f} on {cpus} CPUs: other processes competed, figures are noisy")
    return ok and len(replies) == sent


def main() -> int:
    """Starts the fake and the stack, fires the burst, waits for the replies, prints; 0 whatever the figures."""
    workdir = Path(tempfile.mkdtemp(prefix="conserje-bench-webhooks-"))
    graph = TimedGraphApiFake(ACCESS_TOKEN, PHONE_NUMBER_ID)
    graph.start_in_thread()
    env = stack_env(workdir, NOW)
    env.pop("REDIS_URL", None)  # SQL de-duplication, like the conversation tests' WhatsApp stack
    env.update(
        WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
        WHATSAPP_APP_SECRET=APP_SECRET,
        WHATSAPP_ACCESS_TOKEN=ACCESS_TOKEN,
        WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
        WHATSAPP_API_VERSION=VERSION,
        WHATSAPP_API_BASE_URL=graph.url,
    )
    stack = Stack(workdir=workdir, env=env, model=ensure_model(), credentials=ROOT / "credentials.whatsapp.yml")
    clean = False
    try:
        migrate(env["DATABASE_URL"])
        log("starting the stack with the WhatsApp channel")
        stack.start()
        log(f"webhook burst: {RATE:g} POST/s for {SECONDS:g} s")
        burst = asyncio.run(fire(stack.rasa_url))
        log(f"waiting up to {REPLY_WAIT:g} s for the replies")
        wait_for_replies(graph, burst)
        clean = report(graph, burst)
    finally:
        stack.close()
        graph.stop_thread()
        if clean:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"logs kept in {workdir}")
    return 0


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries the figures only."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
