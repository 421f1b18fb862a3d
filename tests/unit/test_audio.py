"""The voice pipeline's parts with real tools: the domain language model, ffmpeg decoding of every format, real
PocketSphinx decoding of espeak-ng speech, the http engine against a local OpenAI-compatible server, the voice
service's outcomes, and spoken replies (OGG/Opus checked with ffprobe) with their disk cache."""

from __future__ import annotations

import json
import math
import subprocess
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from actions.errors import ConfigError
from connectors.audio import lm
from connectors.audio.decode import AudioError, decode, run
from connectors.audio.engines import HttpEngine, PocketSphinxEngine, SpeechEngineError, engines_from_env
from connectors.audio.service import VoiceConfig, VoiceService, language_from_number
from connectors.audio.speech import MAX_NOTE_BYTES, DiskCache, Speaker, speakable, synthesise
from scripts.bench_voice import word_errors
from tests.fakes.transcription import TranscriptionFake


def probe(path: Path) -> dict[str, str]:
    """codec_name, channels and sample_rate of the first audio stream, from ffprobe."""
    out = subprocess.run(
        [
            *["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_name,channels"],
            *["-show_entries", "stream=sample_rate", "-show_entries", "format=format_name", "-of", "json", str(path)],
        ],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    data = json.loads(out)
    return {**data["streams"][0], "format": data["format"]["format_name"]}


async def spoken(text: str, folder: Path, name: str = "note.ogg") -> Path:
    """``text`` as an espeak-ng OGG/Opus voice note, the way spoken replies are made."""
    path = folder / name
    path.write_bytes(await synthesise(text, "en-us"))
    return path


def encode(source: Path, target: Path, *codec: str) -> Path:
    """Re-encodes ``source`` with ffmpeg (e.g. to AAC or MP3) as a guest's phone would have."""
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), *codec, str(target)], check=True)
    return target


# -- the domain language model ------------------------------------------------------------------------------------


def parse_arpa(text: str) -> tuple[dict[tuple[str, ...], float], dict[tuple[str, ...], float]]:
    """log10 probabilities and back-off weights of an ARPA file."""
    probabilities: dict[tuple[str, ...], float] = {}
    backoffs: dict[tuple[str, ...], float] = {}
    order = 0
    for line in text.splitlines():
        if line.startswith("\\") and line.endswith("-grams:"):
            order = int(line[1])
            continue
        fields = line.split()
        if order and len(fields) >= order + 1 and not line.startswith("\\"):
            gram = tuple(fields[1 : order + 1])
            probabilities[gram] = float(fields[0])
            if len(fields) == order + 2:
                backoffs[gram] = float(fields[-1])
    return probabilities, backoffs


def test_the_arpa_model_is_a_proper_distribution_after_every_history() -> None:
    sentences = [s.split() for s in ("late checkout tomorrow", "late checkout please", "is the pool open", "hello")]
    probabilities, backoffs = parse_arpa(lm.arpa(sentences))
    vocabulary = sorted({gram[0] for gram in probabilities if len(gram) == 1} - {lm.START})

    def p(gram: tuple[str, ...]) -> float:
        if gram in probabilities:
            return 10 ** probabilities[gram]
        if len(gram) == 1:
            return 0.0
        return 10 ** backoffs.get(gram[:-1], 0.0) * p(gram[1:])

    for history in [(), (lm.START,), ("late",), ("late", "checkout"), ("the", "pool"), ("hello",), ("pool", "late")]:
        assert math.isclose(sum(p((*history, word)) for word in vocabulary), 1.0, abs_tol=1e-4), history
    assert p(("late", "checkout")) > 0.5 > p(("late", "hello")) > 0 and p(("likely",)) == 0


def test_training_examples_become_words_cut_at_what_cannot_be_pronounced() -> None:
    assert lm.words_of('I\'d like a [late checkout](request) at 2pm, [Gorriti]{"entity": "x"}!') == [
        "i'd",
        "like",
        "a",
        "late",
        "checkout",
        "at",
        "pm",
        "gorriti",
    ]
    assert lm.pieces(["walk from plaza gorriti to the pool"], {"walk", "from", "plaza", "to", "the", "pool"}) == [
        ["walk", "from", "plaza"],
        ["to", "the", "pool"],
    ]
    assert lm.english_only(["what time does the pool open?", "¿a qué hora abre la pileta?", "hello there"]) == [
        "what time does the pool open?",
        "hello there",
    ]


def test_the_domain_model_is_built_once_per_training_data(tmp_path: Path) -> None:
    data, out = tmp_path / "nlu", tmp_path / "stt"
    data.mkdir()
    nlu = {"nlu": [{"intent": "late", "examples": "- late checkout tomorrow\n- salida tardía mañana\n"}]}
    (data / "late.yml").write_text(json.dumps(nlu))
    first = lm.domain_model(data, out)
    assert "late checkout tomorrow" in first.lm.read_text()
    words = {line.split()[0].split("(")[0] for line in first.dictionary.read_text().splitlines()}
    assert words == {"late", "checkout", "tomorrow"}
    assert lm.domain_model(data, out) == first  # reused while the data are the same
    nlu["nlu"][0]["examples"] += "- is the pool open\n"
    (data / "late.yml").write_text(json.dumps(nlu))
    second = lm.domain_model(data, out)
    assert second != first and not first.lm.exists() and "pool" in second.dictionary.read_text()


async def test_the_domain_bias_hears_late_checkout_tomorrow(tmp_path: Path) -> None:
    note = await spoken("late checkout tomorrow", tmp_path)
    pcm = await decode(note, 120, noise_floor=PocketSphinxEngine.noise_floor)
    biased = await PocketSphinxEngine().transcribe(pcm, "en")
    general = await PocketSphinxEngine(biased=False).transcribe(pcm, "en")
    assert biased.text == "late checkout tomorrow" and biased.confidence is not None and biased.confidence > 0.5
    assert general.text != "late checkout tomorrow"  # what the issue is about: the general model mishears it


# -- decoding -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("note.aac", ["-c:a", "aac", "-f", "adts"]),
        ("note.mp3", ["-c:a", "libmp3lame"]),
        ("note.m4a", ["-c:a", "aac"]),
        ("note.webm", ["-c:a", "libopus"]),
        ("note.wav", ["-ar", "44100", "-ac", "2"]),
    ],
)
async def test_every_format_a_guest_sends_is_decoded_and_understood(
    tmp_path: Path, name: str, codec: list[str]
) -> None:
    source = tmp_path / "source.wav"  # what the phone recorded, before its codec
    await run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(source), "is the pool open now"])
    note = encode(source, tmp_path / name, *codec)
    pcm = await decode(note, 120, noise_floor=PocketSphinxEngine.noise_floor)
    reference = await decode(source, 120)
    assert abs(pcm.seconds - reference.seconds) < 0.15
    heard = (await PocketSphinxEngine().transcribe(pcm, "en")).text.split()
    assert word_errors("is the pool open now".split(), heard) <= 1  # lossy codecs may cost a word, not more


async def test_amr_is_decoded(tmp_path: Path) -> None:
    # No AMR encoder ships with Debian's ffmpeg: a valid AMR-NB file of 50 silent 4.75 kbit/s frames (20 ms each).
    note = tmp_path / "note.amr"
    note.write_bytes(b"#!AMR\n" + (bytes([0x04]) + bytes(12)) * 50)
    assert (await decode(note, 120)).seconds == pytest.approx(1.0, abs=0.05)


async def test_bad_audio_is_refused_with_its_reason(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.ogg"
    corrupt.write_bytes(b"OggS" + bytes(range(256)) * 40)
    empty = tmp_path / "empty.ogg"
    empty.write_bytes(b"")
    long_note = encode(await spoken("hello", tmp_path), tmp_path / "long.ogg", "-af", "apad=whole_dur=8")
    for path, limit, reason in [(corrupt, 120, "unreadable"), (empty, 120, "unreadable"), (long_note, 5, "too_long")]:
        with pytest.raises(AudioError) as caught:
            await decode(path, limit)
        assert caught.value.reason == reason
    with pytest.raises(AudioError) as caught:
        await decode(long_note, 120, max_bytes=100)
    assert caught.value.reason == "too_large"


# -- the http engine and the service ------------------------------------------------------------------------------


@pytest.fixture
async def stt_server() -> AsyncIterator[TranscriptionFake]:
    """A local OpenAI-compatible transcription server."""
    server = TranscriptionFake(api_key="sk-test-key", answers={"es": "¿a qué hora abre la pileta?"})
    await server.start()
    yield server
    await server.stop()


async def test_the_http_engine_speaks_the_openai_transcription_api(
    tmp_path: Path, stt_server: TranscriptionFake
) -> None:
    engine = HttpEngine(stt_server.url, model="whisper-large-v3", api_key="sk-test-key")
    pcm = await decode(await spoken("hola", tmp_path), 120)
    transcript = await engine.transcribe(pcm, "es")
    assert transcript.text == "¿a qué hora abre la pileta?" and transcript.confidence == pytest.approx(0.905, 0.01)
    (sent,) = stt_server.requests
    assert sent.fields == {"model": "whisper-large-v3", "language": "es", "response_format": "verbose_json"}
    assert sent.content_type == "audio/wav" and sent.wav_seconds() == pytest.approx(pcm.seconds, abs=0.01)
    stt_server.fail_with = 503
    with pytest.raises(SpeechEngineError):
        await engine.transcribe(pcm, "es")
    await engine.close()
    wrong_key = HttpEngine(stt_server.url, api_key="sk-wrong")
    with pytest.raises(SpeechEngineError):
        await wrong_key.transcribe(pcm, "es")
    await wrong_key.close()


async def test_the_service_turns_each_outcome_into_what_rasa_reads(
    tmp_path: Path, stt_server: TranscriptionFake
) -> None:
    env = {"STT_ENGINE_ES": "http", "STT_HTTP_URL": stt_server.url, "STT_HTTP_API_KEY": "sk-test-key"}
    service = VoiceService(VoiceConfig(), engines_from_env(env), DiskCache(tmp_path / "tts", 10**6))
    note = await spoken("where is the hotel", tmp_path)

    text, metadata = await service.message(note, "es")
    assert text == "¿a qué hora abre la pileta?"
    assert metadata["input_mode"] == "voice" and metadata["stt_engine"] == "http" and metadata["confidence"] > 0.5

    stt_server.avg_logprob = -2.0  # a doubtful transcript: confirmed with the guest first
    text, _ = await service.message(note, "es")
    assert text == '/voice_confirm{"voice_transcript": "¿a qué hora abre la pileta?", "language": "es"}'

    text, metadata = await service.message(note, "en")
    assert text == "where is the hotel" and metadata["stt_engine"] == "pocketsphinx"

    none = VoiceService(VoiceConfig(), engines_from_env({}), DiskCache(tmp_path / "tts", 10**6))
    labels = {"engine": "none", "reason": "no_engine"}
    counted = REGISTRY.get_sample_value("conserje_stt_failures_total", labels) or 0.0
    assert (await none.message(note, "es"))[0] == '/voice_unavailable{"language": "es"}'
    assert REGISTRY.get_sample_value("conserje_stt_failures_total", labels) == counted + 1
    assert (await none.message(None, "en", too_large=True))[0] == '/voice_too_long{"language": "en"}'
    assert (await none.message(None, "en"))[0] == '/voice_unreadable{"language": "en"}'
    assert none.counters == {"no_engine": 1, "too_large": 1, "unreadable": 1}
    assert service.counters["transcript"] == 3 and service.counters["low_confidence"] == 1
    await service.close()


def test_configuration_errors_name_the_variable() -> None:
    assert set(engines_from_env({})) == {"en"}  # English offline by default, Spanish without an engine
    assert set(engines_from_env({"STT_ENGINE_EN": "", "STT_ENGINE_ES": "none"})) == set()
    for env, variable in [
        ({"STT_ENGINE_ES": "pocketsphinx"}, "STT_ENGINE_ES"),
        ({"STT_ENGINE_ES": "http"}, "STT_HTTP_URL"),
        ({"STT_ENGINE_EN": "whisper"}, "STT_ENGINE_EN"),
    ]:
        with pytest.raises(ConfigError, match=variable):
            engines_from_env(env)
    with pytest.raises(ConfigError, match="VOICE_MAX_SECONDS"):
        VoiceConfig.from_env({"VOICE_MAX_SECONDS": "two minutes"})
    assert VoiceConfig.from_env({"VOICE_REPLIES": "off", "VOICE_MAX_SECONDS": "30"}) == VoiceConfig(
        max_seconds=30, replies=False
    )
    assert language_from_number("5491155550123") == "es" and language_from_number("14155550123") == "en"


# -- spoken replies -------------------------------------------------------------------------------------------------


async def test_replies_become_small_opus_voice_notes_cached_on_disk(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "tts", 10 * 1024 * 1024)
    speaker = Speaker(cache)
    long_text = "Our pool is open from eight in the morning to eight in the evening. " * 60  # about four minutes
    note = await speaker.note(long_text, "en")
    assert note is not None and len(note) <= MAX_NOTE_BYTES
    (tmp_path / "reply.ogg").write_bytes(note)
    assert probe(tmp_path / "reply.ogg") == {
        "codec_name": "opus",
        "channels": 1,
        "sample_rate": "48000",
        "format": "ogg",
    }
    spanish = await speaker.note("La pileta abre a las 8. 🏊 https://example.com", "es")
    assert spanish is not None and spanish != note
    assert len(list((tmp_path / "tts").glob("*.ogg"))) == 2
    for cached in (tmp_path / "tts").glob("*.ogg"):
        cached.write_bytes(b"cached")  # a hit must come from the cache, not from espeak-ng
    assert await speaker.note(long_text, "en") == b"cached"
    assert speakable("**Hi** 👋 see https://maps.app/x ~now~") == "Hi see now"
    assert await speaker.note("👋 🏊", "en") is None


async def test_the_disk_cache_keeps_under_its_size_cap(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "tts", 2500)
    sizes = defaultdict(int)
    for index in range(5):
        await cache.put(f"key{index}", bytes(1000))
        sizes[index] = cache.size()
    assert max(sizes.values()) <= 2500
    assert await cache.get("key4") == bytes(1000) and await cache.get("key0") is None
