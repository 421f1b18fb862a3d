"""Action-server extensions through rasa-sdk's ``attach_sanic_app_extensions`` hook.

Start-up validates settings and the hotel profile (an invalid one stops the server with a message naming the
field), opens the services, and serves the shipped photos under /media/photos/. The action webhook answers only
callers that send the shared secret (CONSERJE_ACTION_SECRET, sent by the Rasa server through endpoints.yml).
"""

from __future__ import annotations

import hmac
import logging
import sys
from typing import Any

import pluggy
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request

from actions import logs, metrics, qr, review_answers, reviews, services, stay_requests
from actions.admin import api as admin_api
from actions.errors import ConfigError
from actions.profile import load_profile, profile_path
from actions.settings import get_settings

hookimpl = pluggy.HookimplMarker("rasa_sdk")
ACTION_SECRET_HEADER = "X-Conserje-Action-Secret"
logger = logging.getLogger(__name__)


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    """Adds conserje's listeners and routes to the rasa-sdk Sanic app."""
    logs.install()
    try:
        settings = get_settings()
        profile = load_profile()
        if settings.action_secret is None:
            raise ConfigError(
                "CONSERJE_ACTION_SECRET is not set: the action webhook must only answer our Rasa server "
                "(set the same value for both servers; `make run` generates one)"
            )
    except ConfigError as exc:
        # Printed, not raised: the message must reach the operator without a traceback around it.
        print(f"conserje: cannot start the action server: {exc}", file=sys.stderr)
        sys.exit(2)
    photo_dir = profile.photo_dir(profile_path())
    secret = settings.action_secret.encode()

    @app.on_request
    async def _only_our_rasa(request: Request) -> response.HTTPResponse | None:
        # rasa-sdk's webhook runs any action for anyone who can reach the port; our Rasa server proves itself with
        # the shared secret that endpoints.yml sends.
        if request.path != "/webhook":
            return None
        sent = (request.headers.get(ACTION_SECRET_HEADER) or "").encode()
        if hmac.compare_digest(sent, secret):
            return None
        return response.json(
            {"error": {"code": "unauthorized", "message": f"The {ACTION_SECRET_HEADER} header is missing or wrong."}},
            status=401,
        )

    @app.before_server_start
    async def _open(_app: Sanic, _loop: Any) -> None:
        running = services.start(profile=profile)
        await running.pms.start()

    @app.after_server_stop
    async def _close(_app: Sanic, _loop: Any) -> None:
        await services.stop()

    app.config.FALLBACK_ERROR_FORMAT = "json"

    @app.exception(SanicException)
    async def http_error(_request: Request, exc: SanicException) -> response.HTTPResponse:
        # rasa-sdk's catch-all turns every exception (even a 404) into a 500 echoing the request body.
        status = int(getattr(exc, "status_code", 500) or 500)
        code = "not_found" if status == 404 else "bad_request" if status < 500 else "server_error"
        return response.json({"error": {"code": code, "message": str(exc) or code}}, status=status)

    app.static("/media/photos", str(photo_dir), name="conserje_photos")
    admin_api.attach(app)
    qr.attach(app)
    reviews.attach(app)
    stay_requests.attach(app)
    review_answers.attach(app)

    @app.get("/ready")
    async def ready(_request: Request) -> response.HTTPResponse:
        # Alive is rasa-sdk's /health; ready means every dependency answers (503 names the one that does not).
        checks = await services.services().readiness()
        ok = all(value == "ok" for value in checks.values())
        body = {"status": "ok" if ok else "unavailable", "hotel": profile.hotel.name, "checks": checks}
        return response.json(body, status=200 if ok else 503)

    @app.get("/metrics")
    async def prometheus(request: Request) -> response.HTTPResponse:
        token = services.services().settings.metrics_token
        if not token:
            return response.json({"error": {"code": "not_found", "message": "Metrics are disabled."}}, status=404)
        if not metrics.authorized(request.headers.get("Authorization"), token):
            return response.json({"error": {"code": "unauthorized", "message": "Wrong bearer token."}}, status=401)
        metrics.PMS_BREAKER_STATE.set(metrics.BREAKER_STATES[services.services().breaker_state()])
        body, content_type = metrics.exposition()
        return response.raw(body, content_type=content_type)
