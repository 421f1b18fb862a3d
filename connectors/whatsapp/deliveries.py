"""Delivery of review requests: the template's WhatsApp message id (wamid) recorded, its receipts applied.

The action that sends a review request tags its template with the request's id (``"review_request": 12`` in the
custom payload, actions/review_actions.py). The channel's output sends it and hands the wamid from Meta's answer
to ``record``; the receipts Meta posts later for that wamid (``sent``, ``delivered``, ``read``, ``failed``) go to
``apply``, which updates the request in the hotel database:

    delivered / read  → review_requests.delivered_at, the earliest such receipt's time (Meta retries webhooks,
                        skips ``delivered`` when the guest reads at once, and does not promise their order)
    failed            → review_requests.delivery_failed_at while none of its templates was delivered; Meta's
                        error code goes to the log and the message row (never the number or the text)

Receipts for other messages (every reply the bot sends gets them too) match no row and change nothing: one primary
key look-up each. A receipt can overtake the recording of its wamid (the send's answer and the webhook race): a
receipt that matches nothing is kept in memory for EARLY_SECONDS (at most EARLY_KEPT of them) and applied when its
wamid is recorded. Look-up-then-keep and record-then-apply run under one lock, so neither can slip between the
other's two steps.

Like the de-duplication store (dedupe.py), every database call is a whole synchronous transaction in a worker
thread: the Rasa process's SQL tracker store writes the same SQLite file from the event loop, and a transaction
held across awaits would deadlock with it ("database is locked").
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from actions import clock
from actions.errors import StoreError
from actions.settings import Settings
from actions.store.post_stay import ReviewMessageRow, ReviewRequestRow
from connectors.stores import open_engine
from connectors.whatsapp.inbound import Receipt

logger = logging.getLogger(__name__)
TRACKED = ("delivered", "read", "failed")  # ``sent`` says nothing about the guest's phone
messages = ReviewMessageRow.__table__
requests = ReviewRequestRow.__table__
EARLY_SECONDS = 300.0
EARLY_KEPT = 10_000


def receipt_time(receipt: Receipt) -> datetime:
    """When Meta says the status happened (its Unix timestamp), else now."""
    if receipt.timestamp is not None:
        try:
            return datetime.fromtimestamp(receipt.timestamp, timezone.utc)
        except (OverflowError, OSError, ValueError):
            pass
    return clock.now().astimezone(timezone.utc)


class ReviewDeliveries:
    """Records review-request templates by wamid and applies their receipts (SQL, on DATABASE_URL)."""

    def __init__(self, settings: Settings) -> None:
        """Connects lazily to DATABASE_URL."""
        self.engine = open_engine(settings.sync_database_url())
        self._lock = threading.Lock()
        self._early: OrderedDict[str, tuple[float, list[Receipt]]] = OrderedDict()  # wamid → (kept at, receipts)

    def _record(self, wamid: str, request_id: int) -> bool:
        values = {"wamid": wamid, "request_id": request_id, "sent_at": clock.now(), "status": "accepted"}
        with self._lock:
            try:
                with self.engine.begin() as connection:
                    connection.execute(sa.insert(messages).values(**values))
            except IntegrityError:
                return False  # recorded already (or no such request: nothing to track)
            except SQLAlchemyError as exc:
                raise StoreError(f"database error: {type(exc).__name__}") from exc
            _kept_at, early = self._early.pop(wamid, (0.0, []))
        self._apply(early)  # receipts that arrived before the wamid was known
        return True

    def _keep_early(self, receipt: Receipt) -> None:
        """Keeps a receipt that matched nothing, in case its wamid is being recorded (called under the lock)."""
        now = time.monotonic()
        while self._early and (
            len(self._early) >= EARLY_KEPT or next(iter(self._early.values()))[0] < now - EARLY_SECONDS
        ):
            self._early.popitem(last=False)
        kept_at, early = self._early.get(receipt.message_id, (now, []))
        self._early[receipt.message_id] = (kept_at, [*early, receipt])

    async def record(self, wamid: str, request_id: int) -> bool:
        """Remembers that ``wamid`` is a template of review request ``request_id``; False if it was known.

        Raises:
            StoreError: the database failed.
        """
        return await asyncio.to_thread(self._record, wamid[:128], request_id)

    def _apply_one(self, receipt: Receipt) -> int | None:
        """One receipt in one transaction; the request's id when the receipt was for one of its templates."""
        at = receipt_time(receipt)
        with self._lock, self.engine.begin() as connection:  # the lock first, as in _record: one order, no deadlock
            found = connection.execute(
                sa.select(messages.c.request_id).where(messages.c.wamid == receipt.message_id)
            ).scalar_one_or_none()
            if found is None:
                self._keep_early(receipt)
                return None
            failed = receipt.status == "failed"
            message = sa.update(messages).where(messages.c.wamid == receipt.message_id)
            if failed:
                code = receipt.error_codes[0] if receipt.error_codes else None
                connection.execute(message.values(status="failed", error_code=code, updated_at=at))
                connection.execute(
                    sa.update(requests)
                    .where(requests.c.id == found, requests.c.delivered_at.is_(None))
                    .where(requests.c.delivery_failed_at.is_(None))
                    .values(delivery_failed_at=at)
                )
            else:
                # read implies delivered; a late "delivered" after "read" must not step the message back
                connection.execute(
                    message.where(messages.c.status != "read").values(status=receipt.status, updated_at=at)
                )
                connection.execute(
                    sa.update(requests)
                    .where(requests.c.id == found)
                    .where(sa.or_(requests.c.delivered_at.is_(None), requests.c.delivered_at > at))
                    .values(delivered_at=at)
                )
            return int(found)

    def _apply(self, receipts: list[Receipt]) -> None:
        for receipt in receipts:
            try:
                request_id = self._apply_one(receipt)
            except SQLAlchemyError as exc:
                logger.warning("whatsapp receipt not recorded: status=%s error=%s", receipt.status, type(exc).__name__)
                continue
            if request_id is not None and receipt.status == "failed":
                logger.warning("review request %s: template delivery failed, codes=%s", request_id, receipt.error_codes)

    async def apply(self, receipts: Iterable[Receipt]) -> None:
        """Applies the delivered / read / failed receipts (others are ignored); errors are logged, not raised."""
        tracked = [receipt for receipt in receipts if receipt.status in TRACKED]
        if tracked:
            await asyncio.to_thread(self._apply, tracked)

    async def close(self) -> None:
        """Releases pooled connections."""
        self.engine.dispose()
