"""WhatsApp Cloud API channel for Rasa: ``connectors.whatsapp.WhatsAppInput`` in credentials.yml.

Modules: config (credentials), signature (webhook authenticity), payloads (typed webhook and Graph bodies),
inbound (parsing, per-guest ordering), dedupe (seen message ids), graph (Graph API client), output (bot messages
as WhatsApp messages), input (the channel and its webhook).
"""

from connectors.whatsapp.input import WhatsAppInput
from connectors.whatsapp.output import WhatsAppOutput

__all__ = ["WhatsAppInput", "WhatsAppOutput"]
