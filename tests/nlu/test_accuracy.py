"""Held-out NLU quality gates: intent accuracy ≥ 0.95 and entity F1 ≥ 0.90 in each language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data

from scripts.train import ROOT, ensure_model
from tests.nlu.evaluate import HERE, evaluate, load_agent


@pytest.fixture(scope="module")
def agent() -> Iterator[Agent]:
    """The trained model (trained once, reused while its inputs are unchanged)."""
    yield load_agent(ensure_model())


def test_heldout_sets_are_large_and_never_trained_on() -> None:
    training = {example.get("text").lower() for example in load_data(str(ROOT / "data" / "nlu")).intent_examples}
    for language in ("es", "en"):
        heldout = load_data(str(HERE / f"heldout_{language}.yml")).intent_examples
        assert len(heldout) >= 150
        leaked = [example.get("text") for example in heldout if example.get("text").lower() in training]
        assert leaked == [], f"held-out examples found in the training data: {leaked}"


@pytest.mark.parametrize("language", ["es", "en"])
async def test_heldout_quality(agent: Agent, language: str) -> None:
    report = await evaluate(agent, language)
    details = "\n".join(report.misses)
    assert report.accuracy >= 0.95, f"{language} intent accuracy {report.accuracy:.3f}\n{details}"
    assert report.entity_f1 >= 0.90, f"{language} entity F1 {report.entity_f1:.3f}\n{details}"
