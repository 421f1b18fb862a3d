"""Any audio a guest sends (OGG/Opus, AAC, AMR, MP3, M4A, WebM/Opus, WAV) → 16 kHz mono 16-bit PCM, with ffmpeg.

Limits are checked before and during decoding, never after a full decode of a huge file: the file size first, then
ffmpeg stops one second past the duration limit (``-t``), so a too-long note costs at most that much work.
"""

from __future__ import annotations

import asyncio
import io
import wave
from dataclasses import dataclass
from pathlib import Path

SAMPLE_RATE = 16_000
SAMPLE_WIDTH = 2
MAX_BYTES = 16 * 1024 * 1024
DECODE_TIMEOUT_SECONDS = 60.0


class AudioError(Exception):
    """The audio cannot be transcribed; ``reason`` is ``too_large``, ``too_long`` or ``unreadable``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        """``detail`` is for logs (ffmpeg's last line, sizes), never for guests."""
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Pcm:
    """Signed 16-bit little-endian mono samples at 16 kHz."""

    data: bytes

    @property
    def seconds(self) -> float:
        """Duration."""
        return len(self.data) / (SAMPLE_RATE * SAMPLE_WIDTH)

    def wav(self) -> bytes:
        """The samples as a WAV file (what HTTP transcription services accept)."""
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(SAMPLE_WIDTH)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(self.data)
        return buffer.getvalue()


async def run(command: list[str], stdin: bytes | None = None, timeout: float = DECODE_TIMEOUT_SECONDS) -> bytes:
    """Runs a media tool, returning its stdout.

    Raises:
        AudioError: ``unreadable`` when the tool fails or times out (its last stderr line as the detail).
    """
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin), timeout)
    except asyncio.TimeoutError as exc:
        process.kill()
        await process.wait()
        raise AudioError("unreadable", f"{command[0]} timed out") from exc
    if process.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise AudioError("unreadable", f"{command[0]} exited {process.returncode}: {lines[-1] if lines else ''}")
    return out


async def decode(path: Path, max_seconds: float, *, max_bytes: int = MAX_BYTES, noise_floor: float = 0.0) -> Pcm:
    """The audio file at ``path`` as PCM.

    ``noise_floor`` (amplitude of pink noise mixed in, 0 for none) gives digitally silent stretches the background
    noise every real recording has; PocketSphinx's feature extraction misreads pure digital silence.

    Raises:
        AudioError: ``too_large`` (file over ``max_bytes``), ``too_long`` (over ``max_seconds``), ``unreadable``
            (not audio, corrupt, or no sound at all).
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise AudioError("too_large", f"{size} bytes")
    if size == 0:
        raise AudioError("unreadable", "empty file")
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path)]
    if noise_floor > 0:
        noise = f"anoisesrc=r={SAMPLE_RATE}:a={noise_floor}:c=pink:seed=7"
        command += ["-f", "lavfi", "-i", noise, "-filter_complex"]
        command += [
            f"[0:a:0]aresample={SAMPLE_RATE},aformat=channel_layouts=mono[v];[v][1:a]amix=inputs=2:duration=first:normalize=0"
        ]
    else:
        command += ["-map", "0:a:0"]
    command += ["-t", f"{max_seconds + 1:.3f}", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"]
    pcm = Pcm(await run(command))
    if pcm.seconds > max_seconds:
        raise AudioError("too_long", f"over {max_seconds:.0f} s")
    if pcm.seconds < 0.1:
        raise AudioError("unreadable", "no audio samples")
    return pcm
