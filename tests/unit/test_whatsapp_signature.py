"""Webhook signature, subscription check and channel credentials."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from actions.errors import ConfigError
from connectors.whatsapp import config
from connectors.whatsapp.input import WhatsAppInput
from connectors.whatsapp.signature import Verdict, challenge_answer, check, sign

SECRET = "a1b2c3d4e5f6a7b8"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'
ENV = {
    "WHATSAPP_VERIFY_TOKEN": "verify-0123456789",
    "WHATSAPP_APP_SECRET": SECRET,
    "WHATSAPP_ACCESS_TOKEN": "EAAG-0123456789",
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
}


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    expected = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY) == expected
    assert check(SECRET, BODY, expected) is Verdict.VALID
    assert check(SECRET, BODY, expected.upper().replace("SHA256=", "sha256=")) is Verdict.VALID


@pytest.mark.parametrize(
    ("header", "verdict"),
    [
        (None, Verdict.MISSING),
        ("", Verdict.MISSING),
        ("sha256=" + "0" * 64, Verdict.WRONG),
        (sign("another-secret", BODY), Verdict.WRONG),
        (sign(SECRET, BODY + b" "), Verdict.WRONG),  # re-serialised bodies do not match
        ("sha1=abc", Verdict.WRONG),
        ("sha256=ñ", Verdict.WRONG),
    ],
)
def test_wrong_or_missing_signatures(header: str | None, verdict: Verdict) -> None:
    assert check(SECRET, BODY, header) is verdict


def test_subscription_challenge() -> None:
    assert challenge_answer("tok", "subscribe", "tok", "42") == "42"
    assert challenge_answer("tok", "subscribe", "bad", "42") is None
    assert challenge_answer("tok", "unsubscribe", "tok", "42") is None
    assert challenge_answer("tok", "subscribe", None, "42") is None
    assert challenge_answer("tok", "subscribe", "tok", None) is None


def test_credentials_fall_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WHATSAPP_API_VERSION", raising=False)
    monkeypatch.delenv("WHATSAPP_API_BASE_URL", raising=False)
    channel = WhatsAppInput.from_credentials(None)
    assert isinstance(channel, WhatsAppInput)
    assert channel.settings.graph_url == "https://graph.facebook.com/v19.0"
    assert channel.settings.app_secret == SECRET
    given = config.load({"phone_number_id": "99", "api_base_url": "http://127.0.0.1:9/"}, ENV)
    assert given.phone_number_id == "99" and given.graph_url == "http://127.0.0.1:9/v19.0"
    unexpanded = config.load({"app_secret": "${WHATSAPP_APP_SECRET}"}, ENV)
    assert unexpanded.app_secret == SECRET


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"WHATSAPP_APP_SECRET": ""}, "WHATSAPP_APP_SECRET is not set"),
        ({"WHATSAPP_ACCESS_TOKEN": "changeme"}, "WHATSAPP_ACCESS_TOKEN is a placeholder"),
        ({"WHATSAPP_VERIFY_TOKEN": "short"}, "WHATSAPP_VERIFY_TOKEN is a placeholder"),
        ({"WHATSAPP_PHONE_NUMBER_ID": "abc"}, "WHATSAPP_PHONE_NUMBER_ID must be the numeric"),
        ({"WHATSAPP_API_BASE_URL": "graph.facebook.com"}, "WHATSAPP_API_BASE_URL must be an http(s) URL"),
    ],
)
def test_missing_or_placeholder_credentials_stop_start_up(override: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("(", r"\(").replace(")", r"\)")):
        config.load({}, {**ENV, **override})
