"""Admin API plumbing: route registry (the OpenAPI source), bearer auth, JSON errors.

Every admin route is declared with `route(...)`, which records its method, path, summary, parameters, body model
and responses; /admin/openapi.json is generated from that registry, so the description cannot drift from the code.
Auth: `Authorization: Bearer <CONSERJE_ADMIN_TOKEN>`, compared in constant time; with the variable unset the admin
API does not exist (404 for every /admin route), never open.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.errors import ConserjeError, ServiceError
from actions.ratelimit import create_rate_limiter
from actions.settings import get_settings

logger = logging.getLogger(__name__)
Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]


class ApiError(ConserjeError):
    """An error the admin API answers with its status and a JSON body."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        """Status, machine-readable code, human message, optional extra fields for the body."""
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def error(status: int, code: str, message: str, **extra: Any) -> HTTPResponse:
    """The contract's error body: {"error": {"code", "message", ...}}."""
    return response.json({"error": {"code": code, "message": message, **extra}}, status=status)


@dataclass
class Route:
    """One admin route, as served and as documented."""

    method: str
    path: str
    summary: str
    handler: Handler
    query: dict[str, dict[str, Any]] = field(default_factory=dict)
    body: type[BaseModel] | None = None
    responses: dict[int, str] = field(default_factory=dict)


ROUTES: list[Route] = []
# Every admin response: JSON only, never cached, framed, sniffed or sent with a referrer.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000",
}


def route(
    method: str,
    path: str,
    summary: str,
    *,
    query: dict[str, dict[str, Any]] | None = None,
    body: type[BaseModel] | None = None,
    responses: dict[int, str] | None = None,
) -> Callable[[Handler], Handler]:
    """Declares an admin route (path relative to /admin, Sanic syntax for parameters, e.g. /reservations/<code>)."""

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, path, summary, handler, query or {}, body, responses or {}))
        return handler

    return register


def parse_body(request: Request, model: type[BaseModel]) -> Any:
    """The JSON body validated by ``model``.

    Raises:
        ApiError: 400 for a body that is not a JSON object, 422 with the field errors for invalid fields.
    """
    try:
        data = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    try:
        return model.parse_obj(data)
    except ValidationError as exc:
        fields = [
            {"field": ".".join(str(part) for part in item["loc"]), "problem": item["msg"]} for item in exc.errors()
        ]
        raise ApiError(422, "invalid_fields", "Some fields are invalid.", fields=fields) from None


def _authorized(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _openapi_path(path: str) -> str:
    return "/admin" + "/".join(
        f"{{{part[1:-1].split(':')[0]}}}" if part.startswith("<") else part for part in path.split("/")
    )


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.0 description of every registered admin route."""
    paths: dict[str, dict[str, Any]] = {}
    error_schema = {"$ref": "#/components/schemas/Error"}
    for item in ROUTES:
        parameters = [
            {
                "name": part[1:-1].split(":")[0],
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if part.endswith(":int>") else "string"},
            }
            for part in item.path.split("/")
            if part.startswith("<")
        ] + [{"name": name, "in": "query", **spec} for name, spec in item.query.items()]
        operation: dict[str, Any] = {
            "summary": item.summary,
            "operationId": item.handler.__name__,
            "parameters": parameters,
            "security": [{"bearer": []}],
            "responses": {
                str(status): {
                    "description": description,
                    "content": {"application/json": {"schema": error_schema if status >= 400 else {"type": "object"}}},
                }
                for status, description in {
                    **item.responses,
                    401: "Missing or wrong token",
                    429: "Too many requests with this token",
                }.items()
            },
        }
        if item.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{item.body.__name__}"}}},
            }
        paths.setdefault(_openapi_path(item.path), {})[item.method.lower()] = operation
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                }
            },
        }
    }
    for item in ROUTES:
        if item.body is not None:
            schemas[item.body.__name__] = item.body.schema()
    return {
        "openapi": "3.0.3",
        "info": {"title": "conserje admin API", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _wrap(handler: Handler) -> Handler:
    async def guarded(request: Request, **params: Any) -> HTTPResponse:
        try:
            return await handler(request, **params)
        except ApiError as exc:
            return error(exc.status, exc.code, exc.message, **exc.extra)
        except ServiceError as exc:
            logger.warning("admin_service_error", extra={"route": request.path, "error": type(exc).__name__})
            return error(503, "service_unavailable", "A backend is unavailable; try again shortly.")
        except Exception:  # a bug: logged (masked) with its traceback; the caller never sees internal text
            logger.exception("admin_internal_error route=%s", request.path)
            return error(500, "internal_error", "Something went wrong on our side; it has been logged.")

    guarded.__name__ = handler.__name__
    return guarded


def attach(app: Sanic) -> None:
    """Mounts /admin on the action server (every route needs the bearer token; 404 when no token is set)."""
    import actions.admin.handoffs
    import actions.admin.late_checkouts
    import actions.admin.post_stay
    import actions.admin.qr
    import actions.admin.reservations  # noqa: F401 - these imports register their routes

    blueprint = Blueprint("conserje_admin", url_prefix="/admin")
    settings = get_settings()
    limiter = create_rate_limiter(settings.redis_url, settings.admin_rate_limit_per_minute, "conserje:admin:")

    @blueprint.on_request
    async def authenticate(request: Request) -> HTTPResponse | None:
        token = get_settings().admin_token
        if not token:
            return error(404, "not_found", "The admin API is disabled (CONSERJE_ADMIN_TOKEN is not set).")
        if not _authorized(request, token):
            return error(401, "unauthorized", "Missing or wrong bearer token.")
        if await limiter.hit(token) > limiter.limit:
            return error(429, "rate_limited", f"More than {limiter.limit} requests this minute; slow down.")
        return None

    @blueprint.on_response
    async def secure(_request: Request, reply: HTTPResponse) -> None:
        reply.headers.update(SECURITY_HEADERS)

    async def spec(_request: Request) -> HTTPResponse:
        return response.json(openapi())

    blueprint.add_route(spec, "/openapi.json", methods=["GET"], name="openapi")
    for item in ROUTES:
        blueprint.add_route(_wrap(item.handler), item.path, methods=[item.method], name=item.handler.__name__)
    app.blueprint(blueprint)
