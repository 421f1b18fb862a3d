"""`make bench`: throughput and latency of our assistant against a vanilla `rasa init` bot, over REST.

Both bots get the same closed-loop load: N virtual guests (20, then 50), each sending its messages one after the
other and waiting for every reply, for BENCH_SECONDS (default 20) after a BENCH_WARMUP (default 3) s warm-up.
Ours runs with its real action server and SQL tracker store (scripts/stack.py); the vanilla bot is the one
`rasa init` creates and trains in a temporary folder. One bot runs at a time, so they never share the CPUs.
Prints a table (p50/p95/p99 latency, messages/s, errors, server RSS, load average), the ratios ours/vanilla and
whether the targets are met; it never fails on a missed target. Server logs go to the temporary folder, kept when
anything failed. Then the booking race (scripts/bench_booking.py) and the WhatsApp webhook burst
(scripts/bench_webhooks.py), QR confirmation throughput (scripts/bench_qr.py) and speech-to-text quality and speed
(scripts/bench_voice.py); BENCH_ONLY=assistant, booking, webhooks, qr or voice runs only that one.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python scripts/bench.py` puts scripts/, not the project, on sys.path

from scripts import bench_booking, bench_qr, bench_voice, bench_webhooks  # noqa: E402
from scripts.stack import BIN, Stack, free_port, migrate, stack_env, stop, wait_for  # noqa: E402
from scripts.train import ensure_model  # noqa: E402

CONCURRENCY = [int(n) for n in os.environ.get("BENCH_CONCURRENCY", "20,50").split(",")]
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "3"))
NOW = "2026-12-10T10:00:00-03:00"
TARGET_RATIO = 2.0
TARGET_P95_MS = 500.0
TARGET_CONCURRENCY = 20

# One guest conversation each; a guest starts a new conversation (new sender id) after the last message.
OURS = [
    "hola",
    "is the pool open now?",
    "¿dónde queda el hotel?",
    "¿tienen cochera?",
    "show me photos of the junior suite",
    "what time is breakfast?",
    "¿a qué hora es el check-out?",
    "do you have wifi?",
    "gracias",
]
VANILLA = ["hi", "I am sad", "yes", "great", "bye"]


@dataclass
class Result:
    """One load level against one bot."""

    bot: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)  # seconds, successful messages in the window
    errors: int = 0
    rss_mb: float = 0.0
    load: float = 0.0  # 1-minute load average at the end: other processes competing for the CPUs

    @property
    def rate(self) -> float:
        """Messages per second answered during the measured window."""
        return len(self.latencies) / SECONDS

    def percentile(self, p: int) -> float:
        """Latency percentile ``p`` in milliseconds (NaN without enough samples)."""
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] * 1000


async def guest(
    session: aiohttp.ClientSession, url: str, name: str, mix: list[str], window: tuple[float, float], result: Result
) -> None:
    """One virtual guest: sends ``mix`` in order, again and again, until the window closes."""
    loop = asyncio.get_running_loop()
    measure_from, stop_at = window
    conversation = 0
    position = random.randrange(len(mix))  # guests do not all say "hola" at the same moment
    while loop.time() < stop_at:
        if position % len(mix) == 0:
            conversation += 1
        sender = f"{name}-{conversation}"
        message = mix[position % len(mix)]
        position += 1
        started = loop.time()
        ok = False
        try:
            async with session.post(url, json={"sender": sender, "message": message}) as reply:
                ok = reply.status == 200 and bool(await reply.json())  # no reply at all counts as a failure
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            ok = False
        if started >= measure_from:
            if ok:
                result.latencies.append(loop.time() - started)
            else:
                result.errors += 1


async def load(base_url: str, bot: str, concurrency: int, mix: list[str]) -> Result:
    """Runs ``concurrency`` guests against ``base_url`` for the warm-up plus the measured window."""
    result = Result(bot, concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        now = asyncio.get_running_loop().time()
        window = (now + WARMUP, now + WARMUP + SECONDS)
        url = f"{base_url}/webhooks/rest/webhook"
        run = f"bench-{bot}-{concurrency}-{int(time.time())}"
        await asyncio.gather(*(guest(session, url, f"{run}-{i}", mix, window, result) for i in range(concurrency)))
    return result


def rss_mb(*pids: int) -> float:
    """Resident memory of ``pids`` and all their descendants, in MB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total_kb, todo = 0, list(pids)
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            pass
    return total_kb / 1024


def measure(base_url: str, bot: str, mix: list[str], pids: list[int]) -> list[Result]:
    """Every load level against one running bot, with its memory after each."""
    results = []
    for concurrency in CONCURRENCY:
        log(f"{bot}: {concurrency} concurrent conversations for {WARMUP:g}+{SECONDS:g} s")
        result = asyncio.run(load(base_url, bot, concurrency, mix))
        result.rss_mb = rss_mb(*pids)
        result.load = os.getloadavg()[0]
        results.append(result)
    return results


def train_vanilla(folder: Path) -> None:
    """`rasa init` creates and trains the starter bot in ``folder`` (about a minute)."""
    log("training the vanilla `rasa init` bot")
    with (folder / "init.log").open("wb") as out:
        subprocess.run(
            [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(folder)],
            cwd=folder,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )


def bench_vanilla(folder: Path) -> list[Result]:
    """Starts the vanilla bot (in-memory tracker store, no action server), loads it, stops it."""
    port = free_port()
    with (folder / "rasa.log").open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "rasa"), "run", "--enable-api", "--port", str(port), "--model", str(folder / "models")],
            cwd=folder,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/status", process, 240, check=lambda body: bool(body.get("model_file")))
        return measure(url, "vanilla", VANILLA, [process.pid])
    finally:
        stop(process)


def bench_ours(workdir: Path) -> list[Result]:
    """Starts our action server and Rasa server (own SQLite database, pinned clock), loads them, stops them."""
    env = stack_env(workdir, NOW)
    migrate(env["DATABASE_URL"])
    stack = Stack(workdir=workdir, env=env, model=ensure_model())
    try:
        stack.start()
        pids = [p.pid for p in (stack.rasa, stack.actions) if p is not None]
        return measure(stack.rasa_url, "ours", OURS, pids)
    finally:
        stack.close()


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries the figures only."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def verdict(ok: bool) -> str:
    """MET / NOT MET, impossible to miss in the output."""
    return "MET" if ok else "NOT MET"


def report(results: list[Result]) -> None:
    """The table, the ratios ours/vanilla at each load level and the targets."""
    print("bot       conc   msgs   msg/s  p50 ms  p95 ms  p99 ms errors  RSS MB  load")
    for r in results:
        print(
            f"{r.bot:<9} {r.concurrency:>4} {len(r.latencies):>6} {r.rate:>7.1f} {r.percentile(50):>7.0f} "
            f"{r.percentile(95):>7.0f} {r.percentile(99):>7.0f} {r.errors:>6} {r.rss_mb:>7.0f} {r.load:>5.1f}"
        )
    by_key = {(r.bot, r.concurrency): r for r in results}
    print()
    for n in CONCURRENCY:
        ours, vanilla = by_key[("ours", n)], by_key[("vanilla", n)]
        ratio = ours.rate / vanilla.rate if vanilla.rate else float("nan")
        p95 = ours.percentile(95) / vanilla.percentile(95)
        print(f"ratio ours/vanilla @{n}: throughput {ratio:.2f}x, p95 latency {p95:.2f}x")
    print()
    for n in CONCURRENCY:
        ours, vanilla = by_key[("ours", n)], by_key[("vanilla", n)]
        ratio = ours.rate / vanilla.rate if vanilla.rate else float("nan")
        print(f"target throughput >= {TARGET_RATIO:g}x vanilla @{n}: {verdict(ratio >= TARGET_RATIO)} ({ratio:.2f}x)")
    if ("ours", TARGET_CONCURRENCY) in by_key:
        p95 = by_key[("ours", TARGET_CONCURRENCY)].percentile(95)
        print(
            f"target p95 <= {TARGET_P95_MS:g} ms @{TARGET_CONCURRENCY}: {verdict(p95 <= TARGET_P95_MS)} ({p95:.0f} ms)"
        )
    busiest, cpus = max(r.load for r in results), os.cpu_count() or 1
    if busiest > cpus:
        print(f"note: load average reached {busiest:.1f} on {cpus} CPUs: other processes competed, figures are noisy")
    errors = sum(r.errors for r in results)
    print(f"errors: {errors}" + ("" if errors == 0 else "  <- failed or empty replies; see the server logs"))


def bench_assistant() -> int:
    """The vanilla `rasa init` bot against ours, same closed-loop REST load; non-zero when replies failed."""
    workdir = Path(tempfile.mkdtemp(prefix="conserje-bench-"))
    vanilla_dir, ours_dir = workdir / "vanilla", workdir / "ours"
    vanilla_dir.mkdir()
    ours_dir.mkdir()
    keep = True
    try:
        train_vanilla(vanilla_dir)
        results = bench_vanilla(vanilla_dir)
        results += bench_ours(ours_dir)
        report(results)
        keep = any(r.errors for r in results)
    finally:
        if keep:
            log(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return int(keep)


def main() -> int:
    """Vanilla bot vs ours, booking race, webhook burst, QR, voice; BENCH_ONLY=assistant|booking|webhooks|qr|voice."""
    only = os.environ.get("BENCH_ONLY")
    if only == "booking":
        return bench_booking.main()
    if only == "webhooks":
        return bench_webhooks.main()
    if only == "qr":
        return bench_qr.main()
    if only == "voice":
        return bench_voice.main()
    assistant = bench_assistant()
    if only == "assistant":
        return assistant
    print()
    booking = bench_booking.main()
    print()
    webhooks = bench_webhooks.main()
    print()
    qr = bench_qr.main()
    print()
    return bench_voice.main() or qr or webhooks or booking or assistant


if __name__ == "__main__":
    sys.exit(main())
