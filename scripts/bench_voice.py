"""Speech-to-text quality and speed on synthesised hotel-domain utterances (`BENCH_ONLY=voice make bench`).

The utterances are English held-out NLU sentences (tests/nlu/heldout_en.yml, never in the training data the domain
model is built from) without digits, e-mail addresses or words the shipped dictionary cannot pronounce. Each is
spoken by espeak-ng into an OGG/Opus voice note exactly as the spoken replies are made (connectors/audio/speech.py),
decoded by the channel's decoder (connectors/audio/decode.py) and transcribed by PocketSphinx twice: with the
domain language model (the configured engine) and with the package's general English model (no bias).

Prints word error rate (edit distance over reference words), real-time factor (decoding seconds / audio seconds,
engine only and with ffmpeg's decoding) and how the confidence separates right from wrong transcripts. Targets:
WER ≤ 20 % with the bias, RTF ≤ 0.5. It never fails on a missed target. BENCH_VOICE_UTTERANCES (default 40).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.audio.decode import Pcm, decode  # noqa: E402
from connectors.audio.engines import PocketSphinxEngine  # noqa: E402
from connectors.audio.lm import read_dictionary, shipped_model_dir, training_examples, words_of  # noqa: E402
from connectors.audio.speech import VOICES, synthesise  # noqa: E402

COUNT = int(os.environ.get("BENCH_VOICE_UTTERANCES", "40"))
TARGET_WER = 0.20
TARGET_RTF = 0.5


def utterances(count: int = COUNT) -> list[str]:
    """``count`` held-out English sentences a guest could say (fixed seed: the same set every run)."""
    dictionary = read_dictionary(shipped_model_dir() / "cmudict-en-us.dict")
    candidates = []
    for example in training_examples([ROOT / "tests" / "nlu" / "heldout_en.yml"]):
        words = words_of(example)
        if len(words) >= 3 and not re.search(r"[0-9@]", example) and all(word in dictionary for word in words):
            candidates.append(" ".join(words))
    return random.Random(3).sample(sorted(set(candidates)), min(count, len(candidates)))


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Substitutions + deletions + insertions (Levenshtein distance over words)."""
    previous = list(range(len(hypothesis) + 1))
    for index, word in enumerate(reference, start=1):
        current = [index]
        for position, heard in enumerate(hypothesis, start=1):
            current.append(min(previous[position] + 1, current[-1] + 1, previous[position - 1] + (word != heard)))
        previous = current
    return previous[-1]


@dataclass
class Run:
    """One engine over every utterance."""

    name: str
    errors: int = 0
    words: int = 0
    engine_seconds: float = 0.0
    audio_seconds: float = 0.0
    right: list[float] = field(default_factory=list)  # confidences of exact transcripts
    wrong: list[float] = field(default_factory=list)
    misses: list[tuple[str, str]] = field(default_factory=list)

    @property
    def wer(self) -> float:
        """Word error rate."""
        return self.errors / max(self.words, 1)

    @property
    def rtf(self) -> float:
        """Engine seconds per audio second."""
        return self.engine_seconds / max(self.audio_seconds, 1e-9)


async def notes(sentences: list[str], folder: Path) -> list[tuple[str, Path, Pcm, float]]:
    """Each sentence as a voice note file, its decoded PCM and the seconds ffmpeg took to decode it."""
    result = []
    for index, sentence in enumerate(sentences):
        path = folder / f"{index:03d}.ogg"
        path.write_bytes(await synthesise(sentence, VOICES["en"]))
        started = time.perf_counter()
        pcm = await decode(path, 120, noise_floor=PocketSphinxEngine.noise_floor)
        result.append((sentence, path, pcm, time.perf_counter() - started))
    return result


def measure(name: str, engine: PocketSphinxEngine, samples: list[tuple[str, Path, Pcm, float]]) -> Run:
    """Transcribes every sample with ``engine``."""
    run = Run(name)
    engine.decode(samples[0][2])  # load the models outside the measurement
    for sentence, _path, pcm, _decode_seconds in samples:
        started = time.perf_counter()
        transcript = engine.decode(pcm)
        run.engine_seconds += time.perf_counter() - started
        run.audio_seconds += pcm.seconds
        reference, hypothesis = sentence.split(), transcript.text.split()
        errors = word_errors(reference, hypothesis)
        run.errors += errors
        run.words += len(reference)
        (run.right if errors == 0 else run.wrong).append(transcript.confidence or 0.0)
        if errors:
            run.misses.append((sentence, transcript.text))
    return run


def main() -> int:
    """Prints the table; returns 0 (missed targets are reported, not failed)."""
    sentences = utterances()
    with tempfile.TemporaryDirectory(prefix="conserje-voice-") as folder:
        samples = asyncio.run(notes(sentences, Path(folder)))
    decode_seconds = sum(sample[3] for sample in samples)
    audio = sum(sample[2].seconds for sample in samples)
    runs = [
        measure("pocketsphinx + domain model", PocketSphinxEngine(), samples),
        measure("pocketsphinx, general model", PocketSphinxEngine(biased=False), samples),
    ]
    words = sum(len(sentence.split()) for sentence in sentences)
    print(f"Speech to text: {len(sentences)} synthesised utterances, {words} words, {audio:.0f} s of audio")
    print(f"ffmpeg decoding (OGG/Opus → 16 kHz PCM): RTF {decode_seconds / audio:.3f}")
    print(f"{'engine':<30} {'WER':>6} {'RTF':>6} {'RTF+ffmpeg':>11} {'exact':>6} {'conf right':>11} {'conf wrong':>11}")
    for run in runs:
        exact = f"{len(run.right)}/{len(sentences)}"
        right = statistics.median(run.right) if run.right else float("nan")
        wrong = statistics.median(run.wrong) if run.wrong else float("nan")
        with_ffmpeg = (run.engine_seconds + decode_seconds) / audio
        print(
            f"{run.name:<30} {run.wer:>6.1%} {run.rtf:>6.3f} {with_ffmpeg:>11.3f} {exact:>6}"
            f" {right:>11.3f} {wrong:>11.3f}"
        )
    biased = runs[0]
    print(
        f"target WER ≤ {TARGET_WER:.0%} with the bias: {'met' if biased.wer <= TARGET_WER else 'NOT met'}; "
        f"RTF ≤ {TARGET_RTF}: {'met' if biased.rtf <= TARGET_RTF else 'NOT met'}; load average {os.getloadavg()[0]:.1f}"
    )
    print("misses with the bias (reference → heard):")
    for reference, heard in biased.misses:
        print(f"  {reference} → {heard}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
