"""QR confirmations throughput on one core: PNGs generated per second and tokens verified per second.

Pinned to one CPU (sched_setaffinity) and single-threaded, for BENCH_QR_SECONDS (default 5) per measure:
- generation: a signed token for a booking plus its PNG (actions/media/qr.py: make_token + png), what the action
  server does for every QR it sends (writing the file is left out: the disk is not the codec);
- verification: reading a scanned token back (format, HMAC in constant time, expiry), what /admin/qr/verify does
  before it asks the PMS;
- as a check, a sample of the generated PNGs is decoded with zbar and must give the token back.
Prints the figures and whether the target (>= 200 PNGs/s) is met; exits 1 only if a PNG does not decode.
Run alone with `BENCH_ONLY=qr python -m scripts.bench` or `python -m scripts.bench_qr`.
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from PIL import Image
from pyzbar.pyzbar import decode

from actions.media.qr import make_token, png, read_token

TARGET_PER_SECOND = 200
SECRET = os.urandom(32).hex()
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def code(index: int) -> str:
    """A distinct 6-character booking code per index (so every QR differs)."""
    return "".join(CODE_ALPHABET[(index >> (5 * shift)) % 32] for shift in range(6))


def rate(work: Callable[[int], object], seconds: float) -> tuple[float, int]:
    """Calls ``work(i)`` for i = 0, 1, ... during ``seconds``; returns (calls per second, calls)."""
    start, count = time.perf_counter(), 0
    deadline = start + seconds
    while time.perf_counter() < deadline:
        work(count)
        count += 1
    return count / (time.perf_counter() - start), count


def main() -> int:
    """Measures and prints; see the module docstring."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    seconds = float(os.environ.get("BENCH_QR_SECONDS", "5"))
    expires = datetime.now(timezone.utc) + timedelta(days=3)
    now = datetime.now(timezone.utc)
    tokens = [make_token(SECRET, code(index), expires) for index in range(1000)]
    generated, made = rate(lambda index: png(make_token(SECRET, code(index), expires)), seconds)
    verified, checked = rate(lambda index: read_token(SECRET, tokens[index % len(tokens)], now), seconds)
    wrong = 0
    for token in tokens[:50]:
        found = decode(Image.open(io.BytesIO(png(token))))
        wrong += not found or found[0].data.decode() != token
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print("QR confirmations (one core)")
    figures = (("generation", generated, made, "PNGs"), ("verification", verified, checked, "tokens"))
    for label, value, count, unit in figures:
        verdict = "met" if value >= TARGET_PER_SECOND else "NOT met"  # a figure, never a failure
        measured = f"{value:8.0f} {unit}/s ({count} in {seconds:g} s)"
        print(f"  {label:12} {measured}, target >= {TARGET_PER_SECOND}/s: {verdict}")
    print(f"  zbar decoded {50 - wrong}/50 sample PNGs back to their token; load average {load:.2f}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
