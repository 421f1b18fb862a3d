"""The hotel-domain language model that biases PocketSphinx towards what guests ask (``python -m connectors.audio.lm``).

Built from the English examples of the NLU training data (data/nlu/*.yml; English told apart from Spanish by
lingua), so "late checkout tomorrow" is not heard as "likely to talk tomorrow". A trigram ARPA model with absolute
discounting and back-off, written here (no toolkit needed), plus the pronouncing dictionary reduced to its words.

Words the shipped CMU dictionary cannot pronounce (digits, names such as "gorriti") split a sentence into pieces
that are counted separately. The files go to var/stt/ named after a fingerprint of the training data and this
generator, so they are built once (at training time or on the first voice note) and rebuilt when the data change.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from actions.settings import ROOT

GENERATOR_VERSION = "1"
ORDER = 3
DISCOUNT = 0.5
START, END = "<s>", "</s>"
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class DomainModel:
    """Paths of a generated language model and its pronouncing dictionary."""

    lm: Path
    dictionary: Path


def shipped_model_dir() -> Path:
    """The en-us acoustic model, dictionary and general language model inside the pocketsphinx package."""
    from pocketsphinx import get_model_path

    return Path(get_model_path()) / "en-us"


def read_dictionary(path: Path) -> dict[str, list[str]]:
    """CMU dictionary lines (``word PH ON ES``, variants as ``word(2)``) as word → pronunciation lines."""
    entries: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        head, _, phones = line.partition(" ")
        if phones:
            entries[head.split("(")[0]].append(line)
    return entries


def words_of(text: str) -> list[str]:
    """Lower-case words of an utterance, apostrophes kept ("what's"), punctuation and annotations dropped."""
    plain = _ANNOTATION.sub(r"\1", text).lower().replace("’", "'")
    return _TOKEN.findall(plain)


def training_examples(paths: Iterable[Path]) -> list[str]:
    """Every intent example of the NLU files (annotations kept; ``words_of`` removes them)."""
    examples: list[str] = []
    for path in paths:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu") or []:
            if isinstance(block, dict) and "intent" in block and isinstance(block.get("examples"), str):
                for line in block["examples"].splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        examples.append(line[2:].strip())
    return examples


def english_only(examples: Sequence[str]) -> list[str]:
    """The examples lingua judges English rather than Spanish (ties and unclear ones are left out)."""
    from lingua import Language, LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.SPANISH).build()
    plain = [_ANNOTATION.sub(r"\1", example) for example in examples]
    found = detector.detect_languages_in_parallel_of(plain)
    return [example for example, language in zip(examples, found, strict=True) if language == Language.ENGLISH]


def pieces(sentences: Iterable[str], vocabulary: set[str] | dict[str, list[str]]) -> list[list[str]]:
    """Each sentence's words, cut at words the dictionary cannot pronounce (empty pieces dropped)."""
    result: list[list[str]] = []
    for sentence in sentences:
        current: list[str] = []
        for word in words_of(sentence):
            if word in vocabulary:
                current.append(word)
            elif current:
                result.append(current)
                current = []
        if current:
            result.append(current)
    return result


def arpa(sentences: Sequence[Sequence[str]], order: int = ORDER, discount: float = DISCOUNT) -> str:
    """An ARPA back-off n-gram model of ``sentences`` (absolute discounting; unigrams add-one smoothed).

    For a history h seen c(h) times followed by N(h) distinct words: P(w|h) = (c(h,w) − D) / c(h) for seen w,
    and the left-over mass D·N(h)/c(h) goes to the shorter history through the back-off weight
    α(h) = left-over / (1 − Σ_seen P_lower(w|h')), so every distribution sums to one.
    """
    counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(order + 1)]
    for sentence in sentences:
        tokens = [START, *sentence, END]
        for n in range(1, order + 1):
            for index in range(len(tokens) - n + 1):
                counts[n][tuple(tokens[index : index + n])] += 1
    vocabulary = sorted({gram[0] for gram in counts[1]} - {START})
    unigram_total = sum(count for gram, count in counts[1].items() if gram[0] != START) + len(vocabulary)
    probabilities: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]
    probabilities[1] = {(word,): (counts[1][(word,)] + 1) / unigram_total for word in vocabulary}
    history_counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(order + 1)]
    followers: list[dict[tuple[str, ...], list[str]]] = [defaultdict(list) for _ in range(order + 1)]
    for n in range(2, order + 1):
        for gram, count in counts[n].items():
            history_counts[n][gram[:-1]] += count
            followers[n][gram[:-1]].append(gram[-1])
        for gram, count in counts[n].items():
            probabilities[n][gram] = (count - discount) / history_counts[n][gram[:-1]]

    def lower(gram: tuple[str, ...]) -> float:
        """P(last word | shorter history), backing off as far as needed."""
        if len(gram) == 1:
            return probabilities[1].get(gram, 0.0)
        if gram in probabilities[len(gram)]:
            return probabilities[len(gram)][gram]
        return backoff.get(gram[:-1], 1.0) * lower(gram[1:])

    backoff: dict[tuple[str, ...], float] = {}
    for n in range(2, order + 1):
        for history, words in followers[n].items():
            left = discount * len(words) / history_counts[n][history]
            taken = sum(lower((*history[1:], word)) for word in words)
            backoff[history] = left / (1.0 - taken) if taken < 1.0 else 0.0

    def log10(value: float) -> str:
        return f"{math.log10(value):.6f}" if value > 0 else "-99.000000"

    lines = ["\\data\\"]
    lines += [f"ngram {n}={len(probabilities[n]) + (1 if n == 1 else 0)}" for n in range(1, order + 1)]
    for n in range(1, order + 1):
        lines += ["", f"\\{n}-grams:"]
        entries = sorted(probabilities[n].items())
        if n == 1:
            entries = [((START,), 0.0), *entries]
        for gram, probability in entries:
            line = f"{log10(probability)} {' '.join(gram)}"
            if n < order:
                weight = backoff.get(gram)
                line += f" {log10(weight) if weight is not None else '0.000000'}"
            lines.append(line)
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


def fingerprint(paths: Sequence[Path], dictionary: Path) -> str:
    """SHA-256 over the training files, the dictionary's size and the generator's version."""
    digest = hashlib.sha256(f"{GENERATOR_VERSION}:{ORDER}:{DISCOUNT}:{dictionary.stat().st_size}".encode())
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def domain_model(data_dir: Path | None = None, out_dir: Path | None = None) -> DomainModel:
    """The domain model for the current training data, generated if missing (a file lock serialises builders)."""
    data_dir = data_dir or ROOT / "data" / "nlu"
    out_dir = out_dir or ROOT / "var" / "stt"
    paths = sorted(data_dir.glob("*.yml"))
    cmudict = shipped_model_dir() / "cmudict-en-us.dict"
    name = f"domain-{fingerprint(paths, cmudict)}"
    model = DomainModel(out_dir / f"{name}.lm", out_dir / f"{name}.dict")
    if model.lm.exists() and model.dictionary.exists():
        return model
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (model.lm.exists() and model.dictionary.exists()):
            entries = read_dictionary(cmudict)
            sentences = pieces(english_only(training_examples(paths)), entries)
            words = sorted({word for sentence in sentences for word in sentence})
            partial_dict = model.dictionary.with_suffix(".dict.part")
            partial_dict.write_text("".join(line + "\n" for word in words for line in entries[word]), encoding="utf-8")
            partial_lm = model.lm.with_suffix(".lm.part")
            partial_lm.write_text(arpa(sentences), encoding="utf-8")
            partial_dict.replace(model.dictionary)
            partial_lm.replace(model.lm)
            for stale in out_dir.glob("domain-*"):
                if stale.stem != name:
                    stale.unlink(missing_ok=True)
    return model


if __name__ == "__main__":
    built = domain_model()
    print(built.lm)
