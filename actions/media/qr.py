"""QR confirmations: a signed, expiring token that references a booking, and its PNG.

Token: ``CJ1.<booking code>.<expiry, Unix seconds>.<signature>`` where the signature is the first 15 bytes of
HMAC-SHA256(CONSERJE_QR_SECRET, everything before it), in base 32. It holds no personal data (the booking code
is a reference, as printed on any confirmation), only upper-case letters, digits and dots, so the QR encodes it
in alphanumeric mode (version 3, 29×29 modules). Anyone can read a token; only the hotel can make one.

The PNG is written here rather than by segno's writer: one bit per pixel and eight pixels per module make each
module exactly one byte of the image, so building it is a byte translation plus zlib (several times faster). The
mask is fixed (pattern 0) instead of chosen by segno's penalty scoring, which is 4x slower than the rest of the
generation: every mask is valid QR and decodes the same; scanners read these small codes without trouble
(tests decode them with zbar).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import zlib
from datetime import datetime, timezone

import segno

from actions.errors import ConserjeError

VERSION = "CJ1"
TOKEN = re.compile(r"^CJ1\.(?P<code>[A-Z0-9]{4,16})\.(?P<expires>\d{1,12})\.(?P<signature>[A-Z2-7]{24})$")
MODULE_PIXELS = 8  # one module = one byte of a 1-bit image row
QUIET_ZONE = 4  # modules of light border the standard requires
_DARK_TO_BLACK = bytes.maketrans(b"\x00\x01", b"\xff\x00")  # segno: 1 dark; PNG grey 1-bit: 0 black, 1 white


class QrTokenError(ConserjeError):
    """The token is malformed or its signature does not match (tampered, or made with another secret)."""


class QrTokenExpired(ConserjeError):
    """The token was genuine but its validity ended."""


def _signature(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()[:15]
    return base64.b32encode(digest).decode()


def make_token(secret: str, code: str, expires: datetime) -> str:
    """A signed token for the booking ``code`` valid until ``expires`` (aware)."""
    body = f"{VERSION}.{code.upper()}.{int(expires.timestamp())}"
    return f"{body}.{_signature(secret, body)}"


def read_token(secret: str, token: str, now: datetime) -> str:
    """The booking code of a genuine token still valid at ``now``.

    Raises:
        QrTokenError: malformed or wrong signature (compared in constant time).
        QrTokenExpired: genuine but past its expiry.
    """
    found = TOKEN.match(token.strip())
    if found is None:
        raise QrTokenError("not a conserje QR token")
    body = token.strip().rsplit(".", 1)[0]
    if not hmac.compare_digest(found["signature"].encode(), _signature(secret, body).encode()):
        raise QrTokenError("the signature does not match")
    if now >= datetime.fromtimestamp(int(found["expires"]), timezone.utc):
        raise QrTokenExpired("the token has expired")
    return found["code"]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(text: str) -> bytes:
    """A black-on-white QR code of ``text`` (error correction M) as PNG bytes."""
    matrix = segno.make(text, error="m", micro=False, mask=0).matrix
    side = len(matrix) + 2 * QUIET_ZONE
    blank = b"\x00" + b"\xff" * side  # filter byte 0, then a white row
    edge = b"\xff" * QUIET_ZONE
    rows = [blank] * (QUIET_ZONE * MODULE_PIXELS)
    for row in matrix:
        rows.extend([b"\x00" + edge + bytes(row).translate(_DARK_TO_BLACK) + edge] * MODULE_PIXELS)
    rows.extend([blank] * (QUIET_ZONE * MODULE_PIXELS))
    width = side * MODULE_PIXELS
    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)  # 1-bit greyscale, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 1))
        + _chunk(b"IEND", b"")
    )
