"""The hotel profile: the demo hotel's facts exactly, and clear errors for invalid profiles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from actions.errors import ConfigError
from actions.profile import DEFAULT_PROFILE, load_profile


def test_demo_hotel_facts_are_exact() -> None:
    profile = load_profile(DEFAULT_PROFILE)
    hotel = profile.hotel
    assert hotel.name == "Hotel Aurora Palermo"
    assert hotel.address == "Gorriti 4521, C1414BJI Palermo, Ciudad Autónoma de Buenos Aires, Argentina"
    assert (hotel.latitude, hotel.longitude) == (-34.5887, -58.4298)
    assert hotel.timezone == "America/Argentina/Buenos_Aires"
    assert hotel.phone == "+54 11 4831 2200" and hotel.email == "reservas@aurorapalermo.example"
    assert (profile.policies.checkin_from, profile.policies.checkout_until) == ("15:00", "11:00")
    rates = {code: (room.rate, room.max_guests, len(room.rooms)) for code, room in profile.room_types.items()}
    assert rates == {
        "double": (95, 2, 16),
        "twin": (95, 2, 8),
        "superior_king": (130, 2, 6),
        "family": (160, 4, 4),
        "junior_suite": (180, 3, 3),
    }
    assert profile.room_types["junior_suite"].rooms == [401, 402, 403]
    assert profile.faq.wifi["password"] == "palermo2026"
    assert profile.faq.accessibility["accessible_rooms"] == [101, 201]
    assert profile.loyalty.levels == {"bronce": 0, "plata": 250, "oro": 750, "platino": 2000}
    assert profile.loyalty.daily_cap == 200
    assert [season.from_ for season in profile.facilities["pool"].closed_seasons] == ["05-01"]


def _write_profile(tmp_path: Path, mutate: object) -> Path:
    data = yaml.safe_load(DEFAULT_PROFILE.read_text(encoding="utf-8"))
    mutate(data)  # type: ignore[operator]
    shutil.copytree(DEFAULT_PROFILE.parent / "media", tmp_path / "media")
    path = tmp_path / "hotel.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "field", "problem"),
    [
        (lambda d: d["hotel"].update(timezone="Mars/Olympus"), "hotel.timezone", "unknown IANA time zone"),
        (lambda d: d["facilities"]["bar"]["hours"][0].update(open="25:00"), "facilities.bar.hours.0.open", "HH:MM"),
        (lambda d: d["facilities"].pop("spa"), "facilities", "missing ['spa']"),
        (lambda d: d["room_types"]["twin"].update(rooms=[101]), "room_types", "twin: room(s) [101]"),
        (lambda d: d["hotel"].update(phon="x"), "hotel.phon", "extra fields not permitted"),
        (lambda d: d["room_types"]["double"].update(rate=-5), "room_types.double.rate", "greater than 0"),
        (lambda d: d["facilities"]["pool"]["closed_seasons"][0].update(to="02-30"), "closed_seasons.0.to", "month-day"),
        (lambda d: d["reviews"].update(gating=True), "reviews.gating", "False"),
        (lambda d: d["room_types"]["family"].update(photos=["missing.jpg"]), "photos_dir", "missing.jpg"),
    ],
)
def test_invalid_profile_names_field_and_problem(tmp_path: Path, mutate: object, field: str, problem: str) -> None:
    path = _write_profile(tmp_path, mutate)
    with pytest.raises(ConfigError) as error:
        load_profile(path)
    assert field in str(error.value)
    assert problem in str(error.value)


def test_unreadable_and_non_yaml_profiles(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_profile(tmp_path / "nope.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("hotel: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_profile(broken)
