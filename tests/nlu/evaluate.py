"""Held-out NLU evaluation: intent accuracy (faq counted with its key) and entity F1, per language.

Used by tests/nlu/test_accuracy.py (the thresholds) and by `python -m tests.nlu.evaluate` (a report for
trainers, with every miss listed).
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data

HERE = Path(__file__).resolve().parent
EVALUATED_ENTITIES = {"facility", "room_type"}


@dataclass
class Report:
    """Scores of one held-out file."""

    language: str
    total: int = 0
    correct: int = 0
    true_positives: int = 0
    predicted: int = 0
    expected: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Intent accuracy (faq/<key> must match the selected response key too)."""
        return self.correct / self.total if self.total else 0.0

    @property
    def entity_f1(self) -> float:
        """Micro F1 over (entity, normalised value) pairs of facility and room_type."""
        precision = self.true_positives / self.predicted if self.predicted else 1.0
        recall = self.true_positives / self.expected if self.expected else 1.0
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def predicted_intent(parse: dict[str, Any]) -> str:
    """The intent with the faq key appended, as the held-out files label it."""
    intent = str(parse.get("intent", {}).get("name"))
    if intent == "faq":
        key = parse.get("response_selector", {}).get("faq", {}).get("response", {}).get("intent_response_key")
        return str(key or intent)
    return intent


async def evaluate(agent: Agent, language: str) -> Report:
    """Parses every held-out example of ``language`` and scores it."""
    data = load_data(str(HERE / f"heldout_{language}.yml"))
    report = Report(language)
    for example in data.intent_examples:
        text = example.get("text")
        expected_intent = example.get("intent_response_key") or example.get("intent")
        parse = await agent.parse_message(text)
        got = predicted_intent(parse)
        report.total += 1
        report.correct += got == expected_intent
        if got != expected_intent:
            confidence = parse.get("intent", {}).get("confidence", 0.0)
            report.misses.append(f"{text!r}: expected {expected_intent}, got {got} ({confidence:.2f})")
        expected = {(e["entity"], e["value"]) for e in example.get("entities", []) if e["entity"] in EVALUATED_ENTITIES}
        found = {(e["entity"], e["value"]) for e in parse.get("entities", []) if e["entity"] in EVALUATED_ENTITIES}
        report.expected += len(expected)
        report.predicted += len(found)
        report.true_positives += len(expected & found)
        if expected != found:
            report.misses.append(f"{text!r}: entities expected {sorted(expected)}, got {sorted(found)}")
    return report


def load_agent(model: Path) -> Agent:
    """The trained model, loaded as the Rasa server loads it."""
    return Agent.load(str(model))


async def main(model: Path) -> None:
    """Prints both reports with every miss."""
    agent = load_agent(model)
    for language in ("es", "en"):
        report = await evaluate(agent, language)
        print(
            f"{language}: intent accuracy {report.accuracy:.3f} ({report.correct}/{report.total}), "
            f"entity F1 {report.entity_f1:.3f}"
        )
        for miss in report.misses:
            print(f"   {miss}")


if __name__ == "__main__":
    from scripts.train import ensure_model

    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ensure_model()))
