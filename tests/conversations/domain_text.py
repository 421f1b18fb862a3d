"""The texts of domain/ responses, so conversation tests can check which variation a guest got."""

from __future__ import annotations

import yaml

from scripts.stack import ROOT


def unsupported_reply(language: str, kind: str) -> str:
    """The text domain/channels.yml gives for a wordless message of ``kind`` in ``language``."""
    domain = yaml.safe_load((ROOT / "domain" / "channels.yml").read_text(encoding="utf-8"))
    for variation in domain["responses"]["utter_unsupported_message"]:
        slots = {condition["name"]: condition["value"] for condition in variation["condition"]}
        if slots == {"language": language, "message_kind": kind}:
            return str(variation["text"])
    raise AssertionError(f"no {language} variation for {kind}")
