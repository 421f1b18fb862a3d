"""The one exception tree of conserje.

    ConserjeError
    ├── ConfigError          invalid settings or hotel profile; stops start-up with a message
    └── ServiceError         a backend we depend on failed; becomes a guest-facing apology, never raw text
        ├── StoreError       our own database could not be read or written
        ├── PMSError         the PMS could not answer (actions/pms/port.py)
        ├── GraphApiError    Meta's Graph API refused or failed a call; `code` is Meta's (connectors/whatsapp/graph.py)
        └── RasaUnreachable  the action server could not make Rasa send a proactive message (actions/rasa_api.py)

Guest-facing replies for these errors are chosen in one place (the action base class), from domain/ responses.
"""

from __future__ import annotations


class ConserjeError(Exception):
    """Base class of every error raised by conserje code."""


class ConfigError(ConserjeError):
    """The configuration or the hotel profile is invalid; the message names the field and the problem."""


class ServiceError(ConserjeError):
    """A backend failed (database, PMS, media); the guest gets an apology and the conversation goes on."""


class StoreError(ServiceError):
    """Our own database failed."""


class RasaUnreachable(ServiceError):
    """Rasa's HTTP API could not be reached, or refused a trigger_intent."""
