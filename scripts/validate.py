"""`make validate`: Rasa's own data validation plus the checks trainers need that Rasa cannot do.

- `rasa data validate` must report no error and no warning, except "utterance not used in any story or rule" for
  responses that our custom actions send (found by scanning actions/ for their names);
- every response exists in Spanish and English (a `language` slot condition each), or is language-neutral;
- every response an action sends exists in the domain;
- EXTERNAL_* intents have no NLU examples: the action server sends them through Rasa's trigger_intent (e.g. a
  staff decision on a late checkout); guests never type them. Nor do they type unsupported_message, the payload
  the channels send for messages without words (connectors/media.py), the voice_* payloads of voice notes
  (connectors/audio/service.py), or rate_limited, which a guest over the rate limit is sent as (connectors/ops.py).
Exit status 1 with the list of problems otherwise.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from connectors.media import UNSUPPORTED_INTENT
from connectors.ops import RATE_LIMITED_PAYLOAD

ROOT = Path(__file__).resolve().parent.parent
UNUSED = re.compile(r"The utterance '([\w/]+)' is not used in any story or rule")
# Intents nobody types: our servers send them as payloads (see the module docstring).
NOT_TYPED = re.compile(
    rf"The intent '(EXTERNAL_\w+|voice_\w+|{UNSUPPORTED_INTENT}|{RATE_LIMITED_PAYLOAD.lstrip('/')})' is listed in the "
    "domain file, but is not found in the NLU"
)


def domain_responses() -> dict[str, list[dict]]:
    """Every response of domain/*.yml."""
    responses: dict[str, list[dict]] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        responses.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses", {}))
    return responses


def action_responses() -> set[str]:
    """Response names that actions and form validators send (every "utter_..." literal in actions/)."""
    names: set[str] = set()
    for path in (ROOT / "actions").rglob("*.py"):
        names.update(re.findall(r"\"(utter_[a-z_]+)\"", path.read_text(encoding="utf-8")))
    return names - {"utter_action"}  # a key of Rasa's response-selector output, not a response


def form_questions() -> set[str]:
    """utter_ask_<slot> responses, which Rasa's forms send for their required slots."""
    names: set[str] = set()
    for path in sorted((ROOT / "domain").glob("*.yml")):
        for form in ((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("forms") or {}).values():
            names.update(f"utter_ask_{slot}" for slot in form.get("required_slots", []))
    return names


def language_problems(responses: dict[str, list[dict]]) -> list[str]:
    """Responses missing a language."""
    problems = []
    for name, variations in responses.items():
        languages = {
            condition.get("value")
            for variation in variations
            for condition in variation.get("condition", [])
            if condition.get("name") == "language"
        }
        if languages and languages != {"es", "en"}:
            problems.append(f"{name}: has variations for {sorted(languages)}, needs es and en")
    return problems


def main() -> int:
    """Runs every check; prints problems; returns the exit status."""
    responses = domain_responses()
    sent = action_responses()
    problems = language_problems(responses)
    problems += [f"{name}: sent by an action but missing from domain/" for name in sorted(sent - set(responses))]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "data",
            "validate",
            "--data",
            "data",
            "--domain",
            "domain",
            "--config",
            "config.yml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        problems.append(f"rasa data validate failed:\n{output[-3000:]}")
    for line in output.splitlines():
        if "UserWarning" not in line and "FutureWarning" not in line:
            continue
        unused = UNUSED.search(line)
        name = unused.group(1) if unused else ""
        if unused and (name in sent or name.startswith("utter_faq") or name in form_questions()):
            continue  # sent by a custom action (utter_faq/* by action_faq), which Rasa cannot see
        if NOT_TYPED.search(line):
            continue
        if "duplicated intents have been found across multiple domain files: faq" in line:
            continue  # Rasa's importer also derives the retrieval intent from data/nlu/faq.yml: a known double count
        if "rasa/shared/utils/io.py" in line or unused:
            problems.append(f"rasa: {line.split('UserWarning: ')[-1]}")
    for problem in problems:
        print(f"  ✗ {problem}")
    print("validation: " + ("FAILED" if problems else f"ok ({len(responses)} responses, es and en)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
