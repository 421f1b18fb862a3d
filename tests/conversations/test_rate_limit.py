"""A guest who writes faster than GUEST_RATE_LIMIT_PER_MINUTE is asked to slow down once, in their language."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from scripts.stack import Stack
from tests.conversations.conftest import running_stack

pytestmark = pytest.mark.conversation
LIMIT = 3


@pytest.fixture(scope="module")
def limited_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Both servers with a limit of three messages per conversation and minute."""
    with running_stack(tmp_path_factory, "limited-stack", GUEST_RATE_LIMIT_PER_MINUTE=str(LIMIT)) as running:
        yield running


def _start_of_a_window() -> None:
    """The limit counts per clock minute: start early in one so a test's messages share it."""
    if time.time() % 60 > 40:
        time.sleep(61 - time.time() % 60)


@pytest.mark.parametrize(
    ("sender", "words", "reply"),
    [("flood-es", "hola", "más rápido de lo que puedo responder"), ("flood-en", "hello", "faster than I can answer")],
)
def test_over_the_limit_one_polite_reply_then_silence(
    limited_stack: Stack, sender: str, words: str, reply: str
) -> None:
    _start_of_a_window()
    for _ in range(LIMIT):
        assert limited_stack.turn(sender, words).responses == ["utter_greet"]
    over = limited_stack.turn(sender, words)
    assert over.responses == ["utter_rate_limited"] and reply in over.text
    assert limited_stack.send(sender, words) == []  # dropped until the minute ends
    assert limited_stack.turn(f"{sender}-neighbour", words).responses == ["utter_greet"]  # others are untouched
