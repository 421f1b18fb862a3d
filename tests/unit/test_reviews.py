"""Review requests on the real services (local PMS, migrated SQLite): scheduling in the sending hours, the stay
award, a failed send retried, ratings with tracked links and the manager's handoff, feedback sentiment, clicks,
opt-out and stats. Sending through Rasa and WhatsApp: tests/conversations/test_reviews.py.

Each test books in its own month of 2033 so the session's shared database never mixes their stays.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from actions import loyalty, review_actions, review_answers, reviews, sentiment
from actions.pms.models import BookingRequest, Reservation
from actions.services import Services
from actions.store.models import HandoffRequest
from actions.store.post_stay import ReviewClickRow, ReviewRequestRow
from tests.fakes.graph_api import Template, TemplateRefused, check_template

TZ = ZoneInfo("America/Argentina/Buenos_Aires")


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Hotel time in 2033."""
    return datetime(2033, month, day, hour, minute, tzinfo=TZ)


async def book(
    running: Services, room: int, first: date, nights: int, phone: str | None, guests: int = 2, kind: str = "double"
) -> Reservation:
    request = BookingRequest(kind, first, first + timedelta(days=nights), guests, "Ana Pérez", "ana@example.com", phone)
    return await running.pms.create_reservation(dataclasses.replace(request, room_number=room))


@pytest.fixture
async def ready(running: Services) -> Services:
    """The services with the profile's rooms in the local PMS, and a Rasa URL nobody listens on."""
    await running.pms.start()
    return dataclasses.replace(running, settings=running.settings.copy(update={"rasa_url": "http://127.0.0.1:9"}))


def funnel(step: str) -> float:
    """The review funnel counter of this process for ``step``."""
    return REGISTRY.get_sample_value("conserje_review_funnel_total", {"step": step}) or 0.0


async def _row(running: Services, code: str) -> ReviewRequestRow:
    async with running.db.session() as session:
        query = select(ReviewRequestRow).where(ReviewRequestRow.reservation_code == code)
        return (await session.execute(query)).scalar_one()


def test_segments_and_sending_hours(running: Services) -> None:
    profile = running.profile

    def stay(first: date, nights: int, guests: int, kind: str = "double") -> Reservation:
        return Reservation(
            "X1X1X1",
            kind,
            101,
            first,
            first + timedelta(nights),
            guests,
            "A B",
            "a@b.c",
            None,
            "confirmed",
            0,
            0,
            "USD",
            "15:00",
            "11:00",
            at(1, 1, 0),  # type: ignore[arg-type]
        )

    assert reviews.segment(stay(date(2033, 1, 3), 2, 1), profile) == "business"  # Monday, Tuesday nights
    assert reviews.segment(stay(date(2033, 1, 7), 2, 1), profile) == "leisure"  # Friday, Saturday nights
    assert reviews.segment(stay(date(2033, 1, 3), 2, 2), profile) == "leisure"
    assert reviews.segment(stay(date(2033, 1, 3), 2, 2, "family"), profile) == "family"
    assert reviews.segment(stay(date(2033, 1, 3), 9, 2), profile) == "long_stay"
    assert reviews.in_window(at(1, 5, 8, 59), profile) == at(1, 5, 9)
    assert reviews.in_window(at(1, 5, 21), profile) == at(1, 6, 9)
    assert reviews.in_window(at(1, 5, 20, 59), profile) == at(1, 5, 20, 59)
    assert reviews.language_for("541148312200") == "es" and reviews.language_for("447700900123") == "en"


async def test_schedule_once_with_stay_points_and_quiet_hours(ready: Services) -> None:
    stay = await book(ready, 102, date(2033, 2, 10), 2, "+54 9 11 5555-0102")
    checked_out = await ready.pms.set_status(stay.code, "checked_out")
    row, created = await reviews.schedule(ready, checked_out, at(2, 12, 10, 30))
    assert created and (row.status, row.guest_key, row.language) == ("scheduled", "541155550102", "es")
    assert reviews.aware(row.due_at) == at(2, 13, 10, 30)  # 24 h after the check-out, inside 09:00-21:00
    again, created_again = await reviews.schedule(ready, checked_out, at(2, 12, 11))
    assert (again.id, created_again) == (row.id, False)
    standing = await loyalty.standing(ready.db, ready.profile.loyalty, "541155550102")
    assert (standing.earned, standing.badges) == (100, ["primera_estadia"])  # awarded once

    late = await book(ready, 103, date(2033, 2, 10), 2, "+54 11 5555 0103")
    late_row, _ = await reviews.schedule(ready, await ready.pms.set_status(late.code, "checked_out"), at(2, 12, 22))
    # Checked out at 11:00 → due at 11:00 next day; a check-out recorded after the planned hour keeps it.
    assert reviews.aware(late_row.due_at) == at(2, 13, 11)
    night = await book(ready, 104, date(2033, 2, 10), 2, "+1 415 555 0104")
    night_row, _ = await reviews.schedule(ready, await ready.pms.set_status(night.code, "checked_out"), at(2, 12, 5))
    assert reviews.aware(night_row.due_at) == at(2, 13, 9)  # 05:00 + 24 h is quiet hours: waits for 09:00
    assert night_row.language == "en"
    nobody = await book(ready, 105, date(2033, 2, 10), 2, None)
    assert (await reviews.schedule(ready, nobody, at(2, 12, 12)))[0].status == "no_channel"


async def test_dispatch_scans_ended_stays_and_retries_a_failed_send(ready: Services) -> None:
    stay = await book(ready, 106, date(2033, 3, 1), 3, "+54 11 5555 0106")  # check-out day 4 March, not recorded
    early = await reviews.dispatch(ready, at(3, 4, 20))
    assert early.scheduled == 0  # the check-out day has not passed and no check-out is recorded
    night = await reviews.dispatch(ready, at(3, 5, 3))
    assert (night.scheduled, night.sent) == (1, 0)  # scheduled; 03:00 is quiet hours
    row = await _row(ready, stay.code)
    assert reviews.aware(row.due_at) == at(3, 5, 11)
    report = await reviews.dispatch(ready, at(3, 5, 11, 5))
    assert report.sent == 0 and report.failed >= 1  # Rasa unreachable (other tests' due requests fail too)
    row = await _row(ready, stay.code)
    assert (row.status, reviews.aware(row.due_at)) == ("scheduled", at(3, 5, 11, 20))


async def test_ratings_links_handoff_feedback_clicks_and_stats(ready: Services) -> None:
    happy = await book(ready, 107, date(2033, 4, 4), 2, "+54 9 11 5555 0107", guests=1)  # Mon-Wed: business
    sad = await book(ready, 307, date(2033, 4, 8), 2, "+54 11 5555 0108", guests=4, kind="family")
    for stay in (happy, sad):
        row, _ = await reviews.schedule(ready, stay, at(4, 10, 12))
        async with ready.db.session() as session:  # as dispatch marks a request once Rasa took it
            (await session.get(ReviewRequestRow, row.id)).status = "sent"  # type: ignore[union-attr]
            (await session.get(ReviewRequestRow, row.id)).sent_at = at(4, 11, 10)  # type: ignore[union-attr]

    conversation = ("5491155550107", "whatsapp", "es")
    rated = await review_answers.rate(ready, "541155550107", 5, conversation, at(4, 11, 12))
    assert rated is not None and (rated.rating, rated.low, rated.points) == (5, False, 50)
    assert [name for name, _ in rated.links] == ["google", "tripadvisor", "booking"]  # business: Google first
    assert all(url.startswith("http://hotel.test/r/") for _, url in rated.links)
    again = await review_answers.rate(ready, "541155550107", 1, conversation, at(4, 11, 13))
    assert again is not None and (again.rating, again.points, again.links) == (5, 50, rated.links)  # first stands
    standing = await loyalty.standing(ready.db, ready.profile.loyalty, "541155550107")
    assert standing.earned == 150  # stay 100 + survey 50, the survey once

    low = await review_answers.rate(ready, "541155550108", 2, ("541155550108", "whatsapp", "en"), at(4, 11, 14))
    assert low is not None and low.low and low.links[0][0] == "booking"  # family: Booking.com first
    row = await _row(ready, sad.code)
    async with ready.db.session() as session:
        handoff = await session.get(HandoffRequest, row.handoff_id)
    assert handoff is not None and (handoff.reason, handoff.status) == ("low_rating", "open")
    assert await review_answers.feedback(ready, "541155550108", "The room wasn't clean and it was noisy") == "negative"
    assert (await _row(ready, sad.code)).sentiment == "negative"
    assert await review_answers.rate(ready, "999", 5, conversation, at(4, 11, 15)) is None

    token = rated.links[0][1].rsplit("/", 1)[1]
    clicks_before = funnel("clicked")
    assert await review_answers.click(ready, token, at(4, 11, 16)) == ready.profile.reviews.platforms["google"]
    assert funnel("clicked") == clicks_before + 1  # the Prometheus funnel (actions/metrics.py)
    assert await review_answers.click(ready, "nope", at(4, 11, 16)) is None
    async with ready.db.session() as session:
        assert len((await session.execute(select(ReviewClickRow).where(ReviewClickRow.token == token))).all()) == 1

    opted_out_before = funnel("opted_out")
    await review_answers.opt_out(ready, "541155550108", at(4, 11, 17))
    await review_answers.opt_out(ready, "541155550108", at(4, 11, 18))  # twice is once
    assert funnel("opted_out") == opted_out_before + 1
    figures = await review_answers.stats(ready, date(2033, 4, 11), date(2033, 4, 11))
    assert (figures["sent"], figures["replied"], figures["opt_outs"]) == (2, 2, 1)
    assert figures["ratings"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert figures["clicks"] == {"google": 1, "tripadvisor": 0, "booking": 0}
    assert figures["by_segment"]["business"]["ratings"]["5"] == 1
    assert figures["by_segment"]["family"]["sent"] == 1
    assert (await review_answers.stats(ready, date(2033, 4, 12), date(2033, 4, 20)))["sent"] == 0


async def test_opted_out_guest_gets_no_request(ready: Services) -> None:
    await review_answers.opt_out(ready, "541155550109", at(5, 1, 10))
    stay = await book(ready, 201, date(2033, 5, 2), 1, "+54 11 5555 0109")
    row, _ = await reviews.schedule(ready, stay, at(5, 3, 12))
    assert row.status == "opted_out"
    assert (await reviews.dispatch(ready, at(5, 4, 12))).sent == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("La habitación estaba sucia y el personal fue grosero", "negative"),
        ("Todo excelente, el desayuno buenísimo", "positive"),
        ("La habitación no estaba limpia", "negative"),
        ("No estuvo nada mal", "positive"),
        ("The staff were friendly and the room spotless", "positive"),
        ("The room wasn't clean", "negative"),
        ("Not bad at all", "positive"),
        ("We played badminton with an animal", "neutral"),  # whole words: no "bad", no "mal"
        ("Llegamos el martes", "neutral"),
        ("Sin problemas, muy cómodo", "positive"),
    ],
)
def test_sentiment(text: str, expected: str) -> None:
    assert sentiment.label(text) == expected


def test_the_template_message_fills_the_approved_template(running: Services) -> None:
    row = ReviewRequestRow(id=7, language="es")
    sent = review_actions.template(row, "Ana", running.profile, "en")
    assert (sent["type"], sent["review_request"]) == ("template", 7)  # the tag the channel records the wamid by
    approved = {("review_request", "en_US"): Template(body_parameters=1, quick_replies=5)}
    check_template(sent["template"], approved)  # what Meta accepts for the approved template
    with pytest.raises(TemplateRefused):
        check_template(sent["template"], {("review_request", "en_US"): Template(body_parameters=2, quick_replies=5)})
    with pytest.raises(TemplateRefused):
        check_template(
            review_actions.template(ReviewRequestRow(id=8, language="en"), "Ana", running.profile, "es")["template"],
            approved,
        )
