"""Admin API over real HTTP: auth, JSON errors, OpenAPI, and the reservation routes on the local PMS."""

from __future__ import annotations

import pytest
import requests

from tests.http.conftest import ActionServer

STAY = {"check_in": "2026-12-20", "check_out": "2026-12-23", "guests": 2}
GUEST = {"guest_name": "Ana Pérez", "email": "Ana@Example.com", "phone": "+54 9 11 5555 0101"}


@pytest.mark.parametrize("token", ["", "wrong-token-wrong-token", None])
def test_every_admin_route_needs_the_token(action_server: ActionServer, token: str | None) -> None:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    for method, path in [
        ("GET", "/openapi.json"),
        ("GET", "/reservations?date=2026-12-10"),
        ("POST", "/reservations"),
        ("GET", "/reservations/ABC234"),
    ]:
        reply = requests.request(method, f"{action_server.url}/admin{path}", headers=headers, json=STAY, timeout=10)
        assert reply.status_code == 401, (method, path)
        assert reply.json()["error"]["code"] == "unauthorized"


def test_openapi_lists_every_route(action_server: ActionServer) -> None:
    spec = action_server.admin("GET", "/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) >= {"/admin/reservations", "/admin/reservations/{code}"}
    assert set(spec["paths"]["/admin/reservations"]) == {"get", "post"}
    assert "NewReservation" in spec["components"]["schemas"]


def test_staff_books_until_full_then_gets_409_with_alternatives(action_server: ActionServer) -> None:
    codes = []
    for _ in range(3):  # the hotel has three junior suites
        reply = action_server.admin("POST", "/reservations", json={"room_type": "junior_suite", **STAY, **GUEST})
        assert reply.status_code == 201, reply.text
        codes.append(reply.json()["code"])
    body = reply.json()
    assert (body["total"], body["currency"], body["email"]) == ("540.00", "USD", "ana@example.com")
    full = action_server.admin("POST", "/reservations", json={"room_type": "junior_suite", **STAY, **GUEST})
    assert full.status_code == 409
    alternatives = {item["room_type"] for item in full.json()["error"]["alternatives"]}
    assert "junior_suite" not in alternatives and {"double", "family"} <= alternatives
    one = action_server.admin("GET", f"/reservations/{codes[0].lower()}")
    assert one.status_code == 200 and one.json()["room_number"] in (401, 402, 403)
    day = action_server.admin("GET", "/reservations?date=2026-12-21").json()
    assert {item["code"] for item in day["in_house"]} >= set(codes)
    arrivals = action_server.admin("GET", "/reservations?date=2026-12-20").json()["arrivals"]
    assert {item["code"] for item in arrivals} >= set(codes)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_json"),
        (b'{"room_type": "penthouse"}', 422, "invalid_fields"),
        (
            b'{"room_type": "double", "check_in": "2026-12-20", "check_out": "2026-12-19", "guests": 2, '
            b'"guest_name": "Ana", "email": "a@b.co"}',
            422,
            "invalid_fields",
        ),
        (
            b'{"room_type": "double", "check_in": "2026-12-20", "check_out": "2026-12-21", "guests": 2, '
            b'"guest_name": "Ana", "email": "not-an-email"}',
            422,
            "invalid_fields",
        ),
        (
            b'{"room_type": "double", "check_in": "2026-12-20", "check_out": "2026-12-21", "guests": 3, '
            b'"guest_name": "Ana", "email": "a@b.co"}',
            422,
            "invalid_stay",
        ),
    ],
)
def test_bad_bookings_get_json_4xx(action_server: ActionServer, body: bytes, status: int, code: str) -> None:
    reply = requests.post(
        f"{action_server.url}/admin/reservations",
        data=body,
        timeout=10,
        headers={"Authorization": f"Bearer {action_server.token}", "Content-Type": "application/json"},
    )
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/reservations?date=tomorrow", 400),
        ("/reservations", 400),
        ("/reservations/NOPE99", 404),
        ("/reservations/%00%27", 404),
        ("/nothing-here", 404),
    ],
)
def test_lookups_get_json_errors(action_server: ActionServer, path: str, status: int) -> None:
    reply = action_server.admin("GET", path)
    assert reply.status_code == status
    assert set(reply.json()["error"]) >= {"code", "message"}
