"""Prometheus metrics of both processes, declared once (each process fills its part).

Rasa server (connectors/ops.py serves /webhooks/ops/metrics and instruments Rasa's message processor):
    conserje_messages_total{direction,channel,type}    guest messages in (text|payload|voice|media) and bot messages
                                                       out (text|buttons|image|custom|audio)
    conserje_intent_confidence{intent}                 histogram of the classifier's confidence per intent
    conserje_fallbacks_total{channel}                  messages that ended in nlu_fallback (fallback rate: / in)
    conserje_webhook_duplicates_total{channel}         webhook retries dropped by de-duplication
    conserje_stt_seconds{engine,language}, conserje_stt_failures_total{engine,reason}   speech to text
Action server (actions/server.py serves /metrics):
    conserje_action_seconds{action,outcome}            action latency (ok | service_error | error)
    conserje_pms_seconds{operation,outcome}            PMS calls through the breaker (ok | business | error | open)
    conserje_pms_breaker_state                         0 closed, 1 half open, 2 open
    conserje_review_funnel_total{step}                 scheduled, sent, reminded, replied, clicked, opted_out
    conserje_points_awarded_total{source}              loyalty points credited

Both routes need ``Authorization: Bearer $CONSERJE_METRICS_TOKEN`` (404 while it is unset): metrics are not
public, and no header a proxy could forge (X-Forwarded-For) opens them.
"""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)

MESSAGES = Counter("conserje_messages", "Guest messages in and bot messages out", ["direction", "channel", "type"])
INTENT_CONFIDENCE = Histogram(
    "conserje_intent_confidence", "Intent classifier confidence", ["intent"], buckets=CONFIDENCE_BUCKETS
)
FALLBACKS = Counter("conserje_fallbacks", "Guest messages that ended in nlu_fallback", ["channel"])
WEBHOOK_DUPLICATES = Counter("conserje_webhook_duplicates", "Webhook retries dropped by de-duplication", ["channel"])
STT_SECONDS = Histogram(
    "conserje_stt_seconds", "Speech-to-text time per voice note", ["engine", "language"], buckets=LATENCY_BUCKETS
)
STT_FAILURES = Counter("conserje_stt_failures", "Voice notes that could not be transcribed", ["engine", "reason"])
ACTION_SECONDS = Histogram(
    "conserje_action_seconds", "Custom action latency", ["action", "outcome"], buckets=LATENCY_BUCKETS
)
PMS_SECONDS = Histogram(
    "conserje_pms_seconds", "PMS call latency through the breaker", ["operation", "outcome"], buckets=LATENCY_BUCKETS
)
PMS_BREAKER_STATE = Gauge("conserje_pms_breaker_state", "PMS circuit breaker: 0 closed, 1 half open, 2 open")
REVIEW_FUNNEL = Counter("conserje_review_funnel", "Post-stay review requests by step", ["step"])
POINTS_AWARDED = Counter("conserje_points_awarded", "Loyalty points credited", ["source"])

BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}


def authorized(header: str | None, token: str | None) -> bool:
    """True when ``header`` is ``Bearer <token>`` (constant-time) and a token is configured."""
    if not token:
        return False
    return hmac.compare_digest((header or "").encode(), f"Bearer {token}".encode())


def exposition() -> tuple[bytes, str]:
    """The text exposition of every metric of this process, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
