"""Admin routes for the staff's handoff queue: guests who asked for a person (or were offered one after fallbacks)."""

from __future__ import annotations

import sqlalchemy as sa
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import clock
from actions.admin.api import ApiError, route
from actions.services import services
from actions.store.models import HandoffRequest

STATUSES = ("open", "closed", "all")
MAX_ID = 2**31 - 1  # the column's range on PostgreSQL; larger ids cannot exist


@route(
    "GET",
    "/handoffs",
    "Handoff requests, newest first",
    query={"status": {"required": False, "schema": {"type": "string", "enum": list(STATUSES), "default": "open"}}},
    responses={200: "The requests", 400: "Unknown status"},
)
async def list_handoffs(request: Request) -> HTTPResponse:
    """GET /admin/handoffs?status=open|closed|all (default open)."""
    status = request.args.get("status", "open")
    if status not in STATUSES:
        raise ApiError(400, "invalid_status", f"`status` must be one of {', '.join(STATUSES)}.")
    query = sa.select(HandoffRequest).order_by(HandoffRequest.created_at.desc(), HandoffRequest.id.desc()).limit(500)
    if status != "all":
        query = query.where(HandoffRequest.status == status)
    async with services().db.session() as session:
        found = (await session.scalars(query)).all()
    return response.json({"status": status, "handoffs": [item.as_dict() for item in found]})


@route(
    "POST",
    "/handoffs/<handoff_id:int>/close",
    "Mark a handoff request as handled",
    responses={200: "The closed request", 404: "No such request", 409: "Already closed"},
)
async def close_handoff(_request: Request, handoff_id: int) -> HTTPResponse:
    """POST /admin/handoffs/{id}/close."""
    if not 0 < handoff_id <= MAX_ID:
        raise ApiError(404, "not_found", f"There is no handoff request {handoff_id}.")
    async with services().db.session() as session:
        found = await session.get(HandoffRequest, handoff_id)
        if found is None:
            raise ApiError(404, "not_found", f"There is no handoff request {handoff_id}.")
        if found.status == "closed":
            raise ApiError(409, "already_closed", "This handoff request is already closed.", handoff=found.as_dict())
        found.status = "closed"
        found.closed_at = clock.now()
        await session.flush()
        closed = found.as_dict()
    return response.json(closed)
