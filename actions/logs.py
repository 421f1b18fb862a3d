"""Structured, privacy-safe logs for both processes: one masking processor in front of every handler.

`install()` replaces the handlers of the root logger and of every logger that has its own (Rasa's, rasa-sdk's,
Sanic's, ours) with one stream handler whose structlog ProcessorFormatter renders JSON lines (``LOG_FORMAT=text``
for humans) after `mask_processor` has rewritten every string: the message, its arguments, extra fields and the
formatted exception. The Rasa process installs it when its tracker store is created (connectors/stores.py), the
action server in its plugin hook (actions/server.py); both happen after Rasa, rasa-sdk and Sanic set up their own
logging, so nothing prints around it.

What `mask` hides, each replaced by a tag such as ``<email>``:
    secrets      ``password=…``, ``token: …``, ``Bearer …``, ``access_token=…`` (the value only)
    email        local@domain.tld
    cbu          22-digit CBU/CVU with valid check digits
    card         13–19 digits (plain, or in groups of four / Amex 4-6-5) passing the Luhn check
    cuit         CUIT/CUIL (11 digits, ``20-12345678-6`` or plain) with a valid check digit
    phone        E.164 and Argentine forms: +54 9 11 1234-5678, 5491112345678, 011 15-1234-5678, 11 1234 5678
    dni          7–8 digits, plain or with dots (12.345.678)
    passport     3 letters + 6 digits (Argentine passport), or any id after "passport"/"pasaporte"
    ip           IPv4 and IPv6 addresses
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import sys
from collections.abc import Callable, MutableMapping
from typing import Any

import structlog

SECRET = re.compile(
    r"(?i)(\b[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|authorization)"
    r"\b[\"']?\s*[=:]\s*[\"']?)(?:bearer\s+)?[^\s\"'&,;}]+"
)
BEARER = re.compile(r"(?i)\bbearer\s+[a-z0-9._~+/=-]{8,}")
CARD_SHAPE = re.compile(r"\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{4,5}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
DIGIT_RUN = re.compile(r"(?<![\w.])\+?\d[\d .()-]{5,24}\d(?![\w])")
PASSPORT = re.compile(r"(?i)\b(?:passport|pasaporte)(?:\s+(?:number|n[uú]mero|no\.?|nro\.?))?[\s:#]*([a-z0-9]{6,9})\b")
AR_PASSPORT = re.compile(r"\b[A-Z]{3}\d{6}\b")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
IPV6 = re.compile(r"(?<![\w:])[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}(?![\w:])")


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return (10 - sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 10) % 10


def _cbu(digits: str) -> bool:
    """CBU/CVU: bank block (7 digits + check) and account block (13 digits + check)."""
    bank, account = digits[:8], digits[8:]
    return _check_digit(bank[:7], (7, 1, 3, 9, 7, 1, 3)) == int(bank[7]) and _check_digit(
        account[:13], (3, 9, 7, 1, 3, 9, 7, 1, 3, 9, 7, 1, 3)
    ) == int(account[13])


def _cuit(digits: str) -> bool:
    if digits[:2] not in {"20", "23", "24", "27", "30", "33", "34"}:
        return False
    remainder = sum(int(d) * w for d, w in zip(digits[:10], (5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    expected = 0 if remainder == 0 else 9 if remainder == 1 else 11 - remainder
    return expected == int(digits[10])


def _digits_tag(match: re.Match[str]) -> str:
    """The tag for a run of digits (with the usual separators), or the run itself when it is nothing personal."""
    text = match.group(0)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d+\.\d+", text):  # dates and decimals (confidences, epoch seconds)
        return text
    digits = re.sub(r"\D", "", text)
    count = len(digits)
    if count == 22 and _cbu(digits):
        return "<cbu>"
    if 13 <= count <= 19 and CARD_SHAPE.fullmatch(text) and _luhn(digits):
        return "<card>"
    if count == 11 and _cuit(digits):
        return "<cuit>"
    if count in (7, 8) and (text.isdigit() or re.fullmatch(r"\d{1,2}\.\d{3}\.\d{3}", text)):
        return "<dni>"
    if 8 <= count <= 15:
        return "<phone>"
    return text


def _ip_tag(match: re.Match[str]) -> str:
    try:
        ipaddress.ip_address(match.group(0))
    except ValueError:
        return match.group(0)
    return "<ip>"


def mask(text: str) -> str:
    """``text`` with personal data and secrets replaced by tags (see the module docstring)."""
    text = SECRET.sub(lambda m: m.group(1) + "<secret>", text)
    text = BEARER.sub("Bearer <secret>", text)
    text = EMAIL.sub("<email>", text)
    text = PASSPORT.sub(lambda m: m.group(0).replace(m.group(1), "<passport>"), text)
    text = AR_PASSPORT.sub("<passport>", text)
    text = IPV4.sub(_ip_tag, text)
    text = IPV6.sub(_ip_tag, text)
    return DIGIT_RUN.sub(_digits_tag, text)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def mask_processor(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: masks every string in the event (message, extras, exception text)."""
    for key, value in list(event.items()):
        if key not in {"timestamp", "level", "logger"}:
            event[key] = _masked(value)
    return event


def formatter(json_lines: bool = True) -> logging.Formatter:
    """The one formatter of both processes: masked, JSON lines (or plain text when ``json_lines`` is False)."""
    renderer: Callable[..., Any]
    if json_lines:
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            mask_processor,
            renderer,
        ],
    )


def install() -> None:
    """Routes every log record of the process through one masked handler on stderr (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(json_lines=os.environ.get("LOG_FORMAT", "json").lower() != "text"))
    handler.set_name("conserje")
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    for logger in loggers:
        if isinstance(logger, logging.Logger) and logger.handlers:
            for old in list(logger.handlers):
                logger.removeHandler(old)
            logger.propagate = True
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
