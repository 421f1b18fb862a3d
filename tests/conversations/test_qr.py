"""QR confirmations through the real servers: the PNG the guest receives, decoded by zbar, verified at the desk.

Clock: Thursday 2026-12-10 10:00 (hotel time); the stays below start that day, so the desk can check them in.
"""

from __future__ import annotations

import io
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import requests
from PIL import Image
from pyzbar.pyzbar import decode

from actions.media.qr import make_token
from scripts.stack import Stack
from tests.conversations.test_stay_services import book, identify


def scanned(image_url: str) -> str:
    """What a QR scanner reads from the image the guest got (fetched over HTTP, decoded by zbar)."""
    reply = requests.get(image_url, timeout=30)
    assert reply.status_code == 200 and reply.headers["content-type"] == "image/png"
    (found,) = decode(Image.open(io.BytesIO(reply.content)))
    assert found.type == "QRCODE"
    return str(found.data.decode())


def test_qr_on_request_then_checked_in_at_the_desk(stack: Stack) -> None:
    code = book(stack, 207, "2026-12-10", "2026-12-12", "Ana María García")
    sent = identify(stack, "qr-es", "mandame el qr de mi reserva", code, "García")
    assert sent.responses == ["utter_qr"] and code in sent.text
    image_url = sent.messages[-1]["image"]
    assert image_url.startswith(stack.action_url + "/media/qr/") and code not in image_url
    token = scanned(image_url)
    assert code in token and "García" not in token and "Garcia" not in token
    first = stack.admin("POST", "/qr/verify", json={"token": token})
    assert first.status_code == 200, first.text
    assert first.json()["result"] == "checked_in"
    assert (first.json()["reservation"]["code"], first.json()["reservation"]["status"]) == (code, "checked_in")
    again = stack.admin("POST", "/qr/verify", json={"token": token})
    assert again.status_code == 200 and again.json()["result"] == "already_checked_in"
    assert stack.admin("GET", f"/reservations/{code}").json()["status"] == "checked_in"


def test_two_desks_scanning_at_once_check_the_guest_in_once(stack: Stack) -> None:
    code = book(stack, 209, "2026-12-10", "2026-12-11", "Xiomara Quintana", room_type="twin")
    token = scanned(identify(stack, "qr-race", "mandame el qr", code, "Quintana").messages[-1]["image"])
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: stack.admin("POST", "/qr/verify", json={"token": token}), range(6)))
    assert [reply.status_code for reply in results] == [200] * 6
    outcomes = sorted(reply.json()["result"] for reply in results)
    assert outcomes == ["already_checked_in"] * 5 + ["checked_in"]
    # The QR check-in's loyalty points (20 in hotel.yml) are paid once, not once per scan.
    with sqlite3.connect(stack.env["DATABASE_URL"].removeprefix("sqlite:///")) as db:
        awards = db.execute("SELECT points FROM loyalty_ledger WHERE source = 'qr_checkin' AND reference = ?", (code,))
        assert awards.fetchall() == [(20,)]


def test_tampered_expired_and_malformed_tokens_get_clear_errors(stack: Stack) -> None:
    code = book(stack, 208, "2026-12-10", "2026-12-11", "Pedro Ruiz")
    sent = identify(stack, "qr-en", "can you send me my booking QR code?", code, "Ruiz")
    assert sent.responses == ["utter_qr"]
    token = scanned(sent.messages[-1]["image"])
    other = book(stack, 201, "2026-12-10", "2026-12-11", "Marta Díaz")
    tampered = token.replace(code, other)
    bad = stack.admin("POST", "/qr/verify", json={"token": tampered})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_token"
    assert stack.admin("GET", f"/reservations/{other}").json()["status"] == "confirmed"
    past = datetime(2026, 12, 10, 12, 0, tzinfo=timezone.utc)  # 09:00 hotel time, before the pinned clock
    expired = make_token(stack.env["CONSERJE_QR_SECRET"], code, past)
    gone = stack.admin("POST", "/qr/verify", json={"token": expired})
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "expired_token"
    for body in ({"token": "hello"}, {"token": ""}, {"code": code}, [1, 2]):
        reply = stack.admin("POST", "/qr/verify", json=body)
        assert reply.status_code in (400, 422) and "error" in reply.json()
    assert stack.admin("GET", f"/reservations/{code}").json()["status"] == "confirmed"
    missing = requests.get(f"{stack.action_url}/media/qr/{'x' * 32}.png", timeout=30)
    assert missing.status_code == 404


def test_a_booking_made_in_the_chat_comes_with_its_qr(stack: Stack) -> None:
    sender = "qr-booking"
    stack.turn(sender, "quiero reservar una superior king del 20 al 22 de diciembre para 2")
    stack.turn(sender, "Rocío Benítez")
    summary = stack.turn(sender, "rocio@example.com")
    assert summary.responses == ["utter_booking_summary"]
    booked = stack.turn(sender, "sí")
    assert booked.responses == ["utter_booked", "utter_qr"]
    code = booked.slots["booking_code"]
    assert code in scanned(booked.messages[-1]["image"])
