"""The WhatsApp channel's credentials: from credentials.yml (``${WHATSAPP_...}`` values) or the environment.

Read when Rasa builds the channel, never at import time. A missing, unexpanded (``${...}``) or placeholder secret
stops start-up with a ConfigError naming the environment variable, so a half-configured channel never runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actions.errors import ConfigError
from actions.settings import PLACEHOLDER_SECRETS

DEFAULT_API_VERSION = "v19.0"
DEFAULT_API_BASE_URL = "https://graph.facebook.com"

# credentials.yml key -> environment variable
VARIABLES = {
    "verify_token": "WHATSAPP_VERIFY_TOKEN",
    "app_secret": "WHATSAPP_APP_SECRET",
    "access_token": "WHATSAPP_ACCESS_TOKEN",
    "phone_number_id": "WHATSAPP_PHONE_NUMBER_ID",
    "api_version": "WHATSAPP_API_VERSION",
    "api_base_url": "WHATSAPP_API_BASE_URL",
}
SECRETS = ("verify_token", "app_secret", "access_token")


@dataclass(frozen=True)
class WhatsAppConfig:
    """Validated channel settings."""

    verify_token: str
    app_secret: str
    access_token: str
    phone_number_id: str
    api_version: str = DEFAULT_API_VERSION
    api_base_url: str = DEFAULT_API_BASE_URL

    @property
    def graph_url(self) -> str:
        """``{base}/{version}``: every Graph API path hangs from here."""
        return f"{self.api_base_url}/{self.api_version}"


def _value(credentials: Mapping[str, Any], key: str, environ: Mapping[str, str]) -> str:
    """The credentials.yml value when it is set and expanded, else the environment variable's."""
    raw = credentials.get(key)
    text = "" if raw is None else str(raw).strip()
    if not text or text.startswith("${"):
        text = environ.get(VARIABLES[key], "").strip()
    return text


def load(credentials: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None) -> WhatsAppConfig:
    """The channel's configuration, validated.

    Raises:
        ConfigError: a required value is missing or a secret is a placeholder; the message names the variable.
    """
    env = os.environ if environ is None else environ
    given = credentials or {}
    values = {key: _value(given, key, env) for key in VARIABLES}
    problems = []
    for key in ("verify_token", "app_secret", "access_token", "phone_number_id"):
        if not values[key]:
            problems.append(f"{VARIABLES[key]} is not set")
        elif key in SECRETS and (values[key].lower() in PLACEHOLDER_SECRETS or len(values[key]) < 8):
            problems.append(f"{VARIABLES[key]} is a placeholder or shorter than 8 characters")
    if values["phone_number_id"] and not values["phone_number_id"].isdigit():
        problems.append(f"{VARIABLES['phone_number_id']} must be the numeric phone number id")
    base = (values["api_base_url"] or DEFAULT_API_BASE_URL).rstrip("/")
    if not base.startswith(("http://", "https://")):
        problems.append(f"{VARIABLES['api_base_url']} must be an http(s) URL")
    if problems:
        raise ConfigError("WhatsApp channel: " + "; ".join(problems))
    return WhatsAppConfig(
        verify_token=values["verify_token"],
        app_secret=values["app_secret"],
        access_token=values["access_token"],
        phone_number_id=values["phone_number_id"],
        api_version=(values["api_version"] or DEFAULT_API_VERSION).strip("/"),
        api_base_url=base,
    )
