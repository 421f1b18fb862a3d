"""What guests do with a review request: rate it, say what went wrong, click the public links, opt out; and stats.

Every rating gets the public review links (no gating), first the platform of the stay's segment, each as a tracked
redirect (GET /r/<token> → 302 to the platform, click recorded). Ratings up to ``reviews.low_rating_max`` also
open a handoff record for the manager. The rating completes the private feedback survey, which earns
``feedback_survey`` points once per stay; public reviews earn nothing. A guest's answer is matched to their request
by phone number (WhatsApp's 549… and the PMS's 54… alike), so it works whatever conversation id it arrives on.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from actions import clock, loyalty, metrics, sentiment
from actions.services import Services, services
from actions.store.models import HandoffRequest
from actions.store.post_stay import OptOutRow, ReviewClickRow, ReviewLinkRow, ReviewRequestRow

TOKEN_BYTES = 12  # 16 URL-safe characters


@dataclass(frozen=True)
class Rated:
    """The outcome of a rating: the tracked links in order, whether it is low (manager told), points earned."""

    rating: int
    links: list[tuple[str, str]]
    low: bool
    points: int


def link_url(running: Services, token: str) -> str:
    """The public URL of a tracked link."""
    return f"{running.settings.public_base_url}/r/{token}"


async def latest_request(running: Services, guest: str) -> ReviewRequestRow | None:
    """The guest's most recently sent review request, answered or not."""
    query = (
        select(ReviewRequestRow)
        .where(ReviewRequestRow.guest_key == guest, ReviewRequestRow.status.in_(("sent", "replied")))
        .order_by(ReviewRequestRow.sent_at.desc(), ReviewRequestRow.id.desc())
        .limit(1)
    )
    async with running.db.session() as session:
        return (await session.execute(query)).scalar_one_or_none()


async def _links(running: Services, row: ReviewRequestRow) -> list[tuple[str, str]]:
    """The request's tracked links (created once), the segment's platform first."""
    reviews = running.profile.reviews
    first = reviews.first_platform[row.segment]  # type: ignore[index]
    order = [first, *(name for name in reviews.platforms if name != first)]
    async with running.db.session() as session:
        query = select(ReviewLinkRow).where(ReviewLinkRow.request_id == row.id)
        existing = {link.platform: link.token for link in (await session.execute(query)).scalars()}
        for platform in order:
            if platform not in existing:
                existing[platform] = secrets.token_urlsafe(TOKEN_BYTES)
                session.add(ReviewLinkRow(token=existing[platform], request_id=row.id, platform=platform))
    return [(platform, link_url(running, existing[platform])) for platform in order]


async def rate(
    running: Services, guest: str, rating: int, conversation: tuple[str, str, str], now: datetime
) -> Rated | None:
    """Records the guest's 1–5 rating (the first one stands); None when they have no review request.

    ``conversation`` is (id, channel, language) for the manager's handoff record.
    """
    row = await latest_request(running, guest)
    if row is None:
        return None
    if row.rating is None:
        values = {"rating": rating, "status": "replied", "replied_at": now.astimezone(timezone.utc)}
        async with running.db.session() as session:
            first = await session.execute(
                update(ReviewRequestRow)
                .where(ReviewRequestRow.id == row.id, ReviewRequestRow.rating.is_(None))
                .values(**values)
            )
            if first.rowcount:
                metrics.REVIEW_FUNNEL.labels("replied").inc()
            row = await session.get(ReviewRequestRow, row.id, populate_existing=True) or row
    low = row.rating <= running.profile.reviews.low_rating_max
    if low and row.handoff_id is None:
        await _tell_manager(running, row, conversation, now)
    points = 0
    reservation = await running.pms.get_reservation(row.reservation_code)
    if reservation is not None:
        points = (await loyalty.award(running, reservation, "feedback_survey", row.reservation_code, now)).points
    return Rated(int(row.rating), await _links(running, row), low, points)


async def _tell_manager(
    running: Services, row: ReviewRequestRow, conversation: tuple[str, str, str], now: datetime
) -> None:
    conversation_id, channel, language = conversation
    handoff = HandoffRequest(
        conversation_id=conversation_id,
        channel=channel,
        language=language,
        reason="low_rating",
        last_message=f"Rating {row.rating}/5, booking {row.reservation_code}",
        status="open",
        created_at=now,
    )
    async with running.db.session() as session:
        session.add(handoff)
        await session.flush()
        await session.execute(
            update(ReviewRequestRow)
            .where(ReviewRequestRow.id == row.id, ReviewRequestRow.handoff_id.is_(None))
            .values(handoff_id=handoff.id)
        )


async def feedback(running: Services, guest: str, text: str) -> sentiment.Label | None:
    """Stores free-text feedback on the guest's latest request with its sentiment; None without a request."""
    row = await latest_request(running, guest)
    if row is None:
        return None
    combined = f"{row.feedback}\n{text}" if row.feedback else text
    label = sentiment.label(combined)
    async with running.db.session() as session:
        await session.execute(
            update(ReviewRequestRow)
            .where(ReviewRequestRow.id == row.id)
            .values(feedback=combined[:4000], sentiment=label)
        )
    return label


async def opt_out(running: Services, guest: str, now: datetime) -> None:
    """No proactive message to this guest ever again (their pending review requests stop too)."""
    values = {"guest_key": guest, "created_at": now.astimezone(timezone.utc)}
    async with running.db.session() as session:
        dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
        added = await session.execute(dialect.insert(OptOutRow).values(**values).on_conflict_do_nothing())
        if added.rowcount:
            metrics.REVIEW_FUNNEL.labels("opted_out").inc()
        await session.execute(
            update(ReviewRequestRow)
            .where(ReviewRequestRow.guest_key == guest, ReviewRequestRow.status.in_(("scheduled", "sent")))
            .values(status="opted_out")
        )


async def click(running: Services, token: str, now: datetime) -> str | None:
    """Records a click on a tracked link and returns the platform's URL (None for an unknown token)."""
    async with running.db.session() as session:
        link = await session.get(ReviewLinkRow, token)
        if link is None:
            return None
        session.add(ReviewClickRow(token=token, clicked_at=now.astimezone(timezone.utc)))
        metrics.REVIEW_FUNNEL.labels("clicked").inc()
        return running.profile.reviews.platforms.get(link.platform)  # type: ignore[no-any-return]


def _bounds(running: Services, since: date, until: date) -> tuple[datetime, datetime]:
    tz = running.profile.tz
    start = datetime.combine(since, time(), tz).astimezone(timezone.utc)
    return start, datetime.combine(until + timedelta(days=1), time(), tz).astimezone(timezone.utc)


async def stats(running: Services, since: date, until: date) -> dict[str, Any]:
    """Requests sent in [since, until] (hotel days): sent, delivered, replied, ratings, clicks per platform,
    opt-outs, by segment.

    ``delivered`` counts the requests whose template (first send or a reminder) WhatsApp reported delivered or read;
    ``delivery_failed`` those whose template failed and none was delivered. The receipts reach the Rasa server's
    WhatsApp channel, which records them on the requests (connectors/whatsapp/deliveries.py).
    """
    start, end = _bounds(running, since, until)
    async with running.db.session() as session:
        rows = list(
            (
                await session.execute(
                    select(ReviewRequestRow).where(ReviewRequestRow.sent_at >= start, ReviewRequestRow.sent_at < end)
                )
            ).scalars()
        )
        click_query = (
            select(ReviewRequestRow.segment, ReviewLinkRow.platform)
            .select_from(ReviewClickRow)
            .join(ReviewLinkRow, ReviewLinkRow.token == ReviewClickRow.token)
            .join(ReviewRequestRow, ReviewRequestRow.id == ReviewLinkRow.request_id)
            .where(ReviewClickRow.clicked_at >= start, ReviewClickRow.clicked_at < end)
        )
        clicks = (await session.execute(click_query)).all()
        opt_outs = len(
            (
                await session.execute(
                    select(OptOutRow.guest_key).where(OptOutRow.created_at >= start, OptOutRow.created_at < end)
                )
            ).all()
        )

    def summary(items: list[ReviewRequestRow], clicked: list[str]) -> dict[str, Any]:
        ratings = Counter(int(item.rating) for item in items if item.rating is not None)
        return {
            "sent": len(items),
            "delivered": sum(1 for item in items if item.delivered_at is not None),
            "delivery_failed": sum(
                1 for item in items if item.delivered_at is None and item.delivery_failed_at is not None
            ),
            "reminders": sum(int(item.reminders_sent) for item in items),
            "replied": sum(1 for item in items if item.rating is not None),
            "ratings": {str(score): ratings.get(score, 0) for score in range(1, 6)},
            "clicks": {name: clicked.count(name) for name in running.profile.reviews.platforms},
        }

    segments = sorted({row.segment for row in rows} | {segment for segment, _ in clicks})
    return {
        "from": since.isoformat(),
        "to": until.isoformat(),
        **summary(rows, [platform for _, platform in clicks]),
        "opt_outs": opt_outs,
        "by_segment": {
            name: summary(
                [row for row in rows if row.segment == name], [platform for seg, platform in clicks if seg == name]
            )
            for name in segments
        },
    }


def attach(app: Sanic) -> None:
    """GET /r/<token>: the tracked redirect to a public review platform."""

    @app.get("/r/<token>", name="conserje_review_link")
    async def redirect(_request: Request, token: str) -> HTTPResponse:
        running = services()
        url = await click(running, token[:64], clock.now(running.profile.tz)) if token.isascii() else None
        if url is None:
            return response.json({"error": {"code": "not_found", "message": "No such link."}}, status=404)
        return response.redirect(url, status=302)
