"""The web chat page in headless Chromium against the real servers: text, buttons, images, session on reload,
and a photo and a voice note sent from the widget (Chromium's fake microphone records a real WebM/Opus file),
answered with a player of the reply's spoken words."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from scripts.stack import ROOT, Stack
from tests.conftest import unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT = Path("/tmp/conserje-web-widget.png")
PHOTO = ROOT / "media" / "photos" / "facade.jpg"
WAIT = 30

pytestmark = pytest.mark.conversation


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    """Headless Chromium in Spanish; missing Chromium skips locally but fails in CI (`make system` installs it)."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        unavailable(f"{CHROMIUM} / {CHROMEDRIVER} not installed: run `make system`")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=520,760"):
        options.add_argument(argument)
    for argument in ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"):  # a microphone
        options.add_argument(argument)
    options.add_argument("--lang=es-AR")
    options.add_experimental_option("prefs", {"intl.accept_languages": "es-AR,es"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def bot_count(driver: WebDriver) -> int:
    """How many bot bubbles the page shows."""
    return len(driver.find_elements(By.CSS_SELECTOR, ".cj-msg.cj-bot"))


def say(driver: WebDriver, text: str) -> list[WebElement]:
    """Types ``text``, sends it and returns the bot bubbles it produced (waits until at least one arrives)."""
    before = bot_count(driver)
    field = driver.find_element(By.ID, "cj-input")
    field.send_keys(text)
    driver.find_element(By.ID, "cj-send").click()
    return wait_for_bot(driver, before)


def click(driver: WebDriver, title: str) -> list[WebElement]:
    """Clicks the last enabled button titled ``title`` and returns the bot bubbles it produced."""
    before = bot_count(driver)
    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, ".cj-buttons button") if b.is_enabled()]
    next(button for button in reversed(buttons) if button.text == title).click()
    return wait_for_bot(driver, before)


def wait_for_bot(driver: WebDriver, before: int) -> list[WebElement]:
    """Waits for new bot bubbles, then until the typing indicator is gone; returns the new bubbles."""
    WebDriverWait(driver, WAIT).until(lambda d: bot_count(d) > before)
    WebDriverWait(driver, WAIT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".cj-typing"))
    return driver.find_elements(By.CSS_SELECTOR, ".cj-msg.cj-bot")[before:]


def last_buttons(driver: WebDriver) -> list[str]:
    """Titles of the newest button row."""
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".cj-buttons"))
    rows = driver.find_elements(By.CSS_SELECTOR, ".cj-buttons")
    return [button.text for button in rows[-1].find_elements(By.TAG_NAME, "button")]


def session_id(driver: WebDriver) -> str:
    """The socket.io session id (= Rasa sender id) once the server confirmed it."""
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return document.body.dataset.session || ''"))
    return str(driver.execute_script("return localStorage.getItem('conserje.session_id')"))


def test_web_chat_page_talks_to_the_assistant(stack: Stack, browser: WebDriver) -> None:
    browser.get(f"{stack.rasa_url}/webhooks/web/")
    assert browser.find_element(By.ID, "cj-send").text == "Enviar"
    sender = session_id(browser)
    assert sender

    greeting = say(browser, "hola")
    assert any("Hotel Aurora Palermo" in bubble.text for bubble in greeting)
    assert "Habitaciones" in last_buttons(browser)

    hours = say(browser, "¿a qué hora abre la pileta?")
    assert any(char.isdigit() for bubble in hours for char in bubble.text), [bubble.text for bubble in hours]

    say(browser, "¿dónde queda el hotel?")
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".cj-location a"))
    pin = browser.find_elements(By.CSS_SELECTOR, ".cj-location a")[-1]
    assert "query=-34." in str(pin.get_attribute("href")) and "Hotel Aurora Palermo" in pin.text

    click(browser, "Habitaciones")
    rooms = last_buttons(browser)
    assert rooms and "Habitaciones" not in rooms
    click(browser, rooms[0])
    WebDriverWait(browser, WAIT).until(
        lambda d: d.execute_script(
            "const i = document.querySelector('.cj-msg img'); return !!i && i.complete && i.naturalWidth > 0"
        )
    )
    browser.save_screenshot(str(SCREENSHOT))

    browser.refresh()
    assert session_id(browser) == sender
    events = stack.tracker(sender)["events"]
    assert [event.get("text") for event in events if event["event"] == "user"][:2] == [
        "hola",
        "¿a qué hora abre la pileta?",
    ]
    responses = [event.get("metadata", {}).get("utter_action") for event in events if event["event"] == "bot"]
    for expected in ("utter_greet", "utter_hours", "utter_location", "utter_which_room_photos", "utter_room_photo"):
        assert expected in responses, responses
    assert browser.find_elements(By.CSS_SELECTOR, ".cj-msg.cj-image img")  # the transcript is shown again
    assert browser.find_elements(By.CSS_SELECTOR, ".cj-location a")
    rasa_log = (stack.workdir / "rasa.log").read_text(errors="replace")
    assert "Traceback" not in rasa_log and "Exception" not in rasa_log  # typed messages' custom payloads too


def test_the_widget_sends_a_photo_and_a_voice_note(stack: Stack, browser: WebDriver) -> None:
    browser.get(f"{stack.rasa_url}/webhooks/web/")
    sender = session_id(browser)

    before = bot_count(browser)
    picker = browser.find_element(By.ID, "cj-file")
    browser.execute_script("arguments[0].hidden = false", picker)  # what the 📷 label opens
    picker.send_keys(str(PHOTO))
    WebDriverWait(browser, WAIT).until(
        lambda d: d.execute_script(
            "const i = document.querySelector('.cj-msg.cj-user img'); return !!i && i.complete && i.naturalWidth > 0"
        )
    )
    assert wait_for_bot(browser, before)

    before = bot_count(browser)
    record = browser.find_element(By.ID, "cj-record")
    record.click()
    WebDriverWait(browser, WAIT).until(lambda d: "cj-recording" in record.get_attribute("class"))
    time.sleep(1.5)  # a second and a half of the fake microphone's tone
    record.click()
    assert wait_for_bot(browser, before)
    # The note is heard in the conversation's language, Spanish (no engine): the honest reply, also spoken.
    WebDriverWait(browser, WAIT).until(
        lambda d: d.execute_script(
            "const a = document.querySelector('audio.cj-audio'); return !!a && a.readyState >= 1 && a.duration > 0"
        )
    )
    player = browser.find_element(By.CSS_SELECTOR, "audio.cj-audio")
    assert player.get_attribute("controls") is not None
    assert player.get_attribute("src").startswith(f"{stack.rasa_url}/webhooks/web/audio/")
    assert browser.execute_script("return arguments[0].previousElementSibling.className", player) == "cj-msg cj-bot"

    events = stack.tracker(sender)["events"]
    media = [event["metadata"]["media"] for event in events if event["event"] == "user"]
    assert [item["kind"] for item in media] == ["image", "audio"]
    assert media[0]["mime_type"] == "image/jpeg" and media[0]["size"] == PHOTO.stat().st_size
    assert media[1]["mime_type"] == "audio/webm" and media[1]["voice"] is True and media[1]["size"] > 1000
    assert Path(media[1]["path"]).read_bytes()[:4] == b"\x1aE\xdf\xa3"
    responses = [event.get("metadata", {}).get("utter_action") for event in events if event["event"] == "bot"]
    assert responses == ["utter_unsupported_message", "utter_voice_unavailable"]
