"""Webhook authenticity: Meta signs every POST body with the app secret, and challenges the subscription once.

``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, raw body)>``. The check runs on the raw bytes before
any parsing (a re-serialised JSON body would not match), and every comparison is constant-time.
"""

from __future__ import annotations

import enum
import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


class Verdict(enum.Enum):
    """Outcome of a signature check, mapped by the webhook to 200 / 401 / 403."""

    VALID = "valid"
    MISSING = "missing"
    WRONG = "wrong"


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta sends for ``body`` (tests and the Graph fake use it too)."""
    return PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def check(app_secret: str, body: bytes, header: str | None) -> Verdict:
    """Whether ``header`` is the signature of the raw ``body`` under ``app_secret``."""
    if not header:
        return Verdict.MISSING
    expected = sign(app_secret, body)
    # compare_digest wants both sides ASCII; a non-ASCII header is simply wrong.
    if not header.isascii():
        return Verdict.WRONG
    return Verdict.VALID if hmac.compare_digest(expected, header.strip().lower()) else Verdict.WRONG


def challenge_answer(verify_token: str, mode: str | None, token: str | None, challenge: str | None) -> str | None:
    """The ``hub.challenge`` to echo when Meta verifies the subscription with our token, else None (403)."""
    if mode != "subscribe" or token is None or challenge is None:
        return None
    if not hmac.compare_digest(verify_token.encode(), token.encode()):
        return None
    return challenge
