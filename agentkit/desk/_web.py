"""The REST API's building blocks, shared by the desk app and the server that mounts it: the route table, errors,
JSON bodies, the error handlers, and the OpenAPI document built from the table.

Each ``ApiRoute`` names its endpoint, who may call it, and the pydantic models of its body and answer; the Starlette
routes and ``/api/openapi.json`` are both made from the same table, so the document cannot miss a route.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..loop import Cutoff
from ..storage import contains_nul
from ._sse import EventStream

__all__ = [
    "ERROR_HANDLERS",
    "ApiError",
    "ApiRoute",
    "ErrorView",
    "Query",
    "error_response",
    "json_response",
    "openapi_document",
    "read_capped",
    "read_json",
    "refuse_nul",
]

logger = logging.getLogger("agentkit.server")

M = TypeVar("M", bound=BaseModel)
Endpoint = Callable[[Request], Awaitable[Response | EventStream]]
Auth = Literal["public", "conversation", "conversation_write", "desk", "desk_write", "signature"]
MAX_JSON_BODY = 64 * 1024
BODY_TIMEOUT = 10.0
"""Seconds a request body may take to arrive."""
# Path parameters, checked by the router before any endpoint runs: anything else is a 404, never a query with a
# 20-digit number (an integer overflow in SQLite) or a NUL character (an error in PostgreSQL).
PATH_PATTERNS = {
    "ticket_id": "[0-9]{1,18}",
    "conversation_id": "[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}",
    "plugin_alias": "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}",
}

_SECURITY: dict[Auth, list[dict[str, list[str]]]] = {
    "public": [],
    "conversation": [{"conversationToken": []}, {"conversationCookie": []}],
    "conversation_write": [{"conversationToken": []}],
    "desk": [{"deskSession": []}],
    "desk_write": [{"deskSession": [], "csrfToken": []}],
    "signature": [],
}
_AUTH_ERRORS: dict[Auth, dict[str, str]] = {
    "public": {},
    "conversation": {"401": "No conversation token", "403": "Not this conversation's token"},
    "conversation_write": {
        "401": "No X-Conversation-Token header (the cookie does not count for writes)",
        "403": "Not this conversation's token",
    },
    "desk": {"401": "Not signed in to the desk"},
    "desk_write": {"401": "Not signed in to the desk", "403": "Missing or wrong X-CSRF-Token"},
    "signature": {"4XX": "Refused by the provider's checks (signature, replay window, size, body)"},
}


class ErrorView(BaseModel):
    error: str = Field(description="What went wrong and, where it helps, what to do")


class ApiError(Exception):
    """Answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


@dataclass(frozen=True)
class Query:
    name: str
    schema: dict[str, Any]
    description: str


@dataclass(frozen=True)
class ApiRoute:
    method: Literal["GET", "POST"]
    path: str
    endpoint: Endpoint
    summary: str
    auth: Auth
    tag: str
    body: type[BaseModel] | None = None
    body_optional: bool = False
    """The endpoint also takes no body at all (then every field of ``body`` has its default)."""
    response: type[BaseModel] | None = None
    status: int = 200
    query: tuple[Query, ...] = ()
    stream: bool = False
    """The answer is a stream of server-sent events (``text/event-stream``)."""

    def route(self) -> Route:
        path = re.sub(r"{(\w+)}", lambda m: f"{{{m[1]}:{m[1]}}}" if m[1] in PATH_PATTERNS else m[0], self.path)
        return Route(path, self.endpoint, methods=[self.method], name=self.endpoint.__name__)


async def read_json(request: Request, model: type[M]) -> M:
    """The request body as ``model``: 415 if it is not JSON, 413 if too large, 408 if it arrives too slowly, 422
    if it does not validate or a string in it has a NUL character."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ApiError(415, "send the body as JSON with Content-Type: application/json")
    body = await read_capped(request, MAX_JSON_BODY)
    try:
        value = model.model_validate_json(body)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors())
        raise ApiError(422, f"invalid {model.__name__}: {problems}") from None
    if b"\\u0000" in body:  # the only way a NUL reaches a parsed string: JSON allows no raw control character
        refuse_nul(value.model_dump(), model.__name__)  # (no body model has a validator that could make one)
    return value


async def read_capped(request: Request, limit: int) -> bytes:
    """The whole body: 413 past ``limit`` bytes, 408 when it takes longer than ``BODY_TIMEOUT`` seconds (a client
    trickling a body in would otherwise hold a worker's connection as long as it likes)."""
    body = bytearray()
    deadline = Cutoff(BODY_TIMEOUT)  # under the loop's one timer, not a timer per request (see Cutoff)
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise ApiError(413, f"the body is over {limit} bytes")
    except asyncio.CancelledError:
        if not deadline.expired():
            raise
        raise ApiError(408, f"the body took over {BODY_TIMEOUT:.0f} s to arrive") from None
    finally:
        deadline.stop()
    return bytes(body)


def refuse_nul(data: dict[str, Any], what: str) -> None:
    """422 when a string anywhere in ``data`` has a NUL character: PostgreSQL cannot store one, and a user name
    carrying it would make every later escalation of that conversation fail."""
    for name, value in data.items():
        if contains_nul(value):
            raise ApiError(422, f"invalid {what}: {name}: NUL characters (\\u0000) are not allowed")


def json_response(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # pydantic writes the JSON text itself: a JSONResponse would make a dict of the model, then json.dumps it through
    # a new encoder each time (52 -> 16 us for a webchat answer of two messages, at every message).
    return Response(model.model_dump_json(), status_code=status, headers=headers, media_type="application/json")


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ErrorView(error=message).model_dump(), status_code=status, headers=headers)


# -- errors, answered as JSON on the API and as text on pages --


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(("/api/", "/webhooks/")):
        return error_response(exc.status_code, f"{exc.detail}: {request.method} {request.url.path}", exc.headers)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, "the server failed on this request; the details are in the server log")


ERROR_HANDLERS: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
    ApiError: _api_error, HTTPException: _http_error, Exception: _server_error,
}  # fmt: skip


# -- OpenAPI --


def openapi_document(routes: Sequence[ApiRoute], *, title: str, version: str) -> dict[str, Any]:
    models = {m for r in routes for m in (r.body, r.response) if m is not None} | {ErrorView}
    by_name, defs = models_json_schema(
        [(m, "serialization") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    refs: dict[Any, dict[str, Any]] = {model: schema for (model, _mode), schema in by_name.items()}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": defs.get("$defs", {}), "securitySchemes": _security_schemes()},
    }


def _operation(route: ApiRoute, refs: dict[type[BaseModel], dict[str, Any]]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.endpoint.__name__,
        "summary": route.summary,
        "tags": [route.tag],
        "security": _SECURITY[route.auth],
        "parameters": _parameters(route),
        "responses": _responses(route, refs),
    }
    if route.body is not None:
        body_schema = {"application/json": {"schema": refs[route.body]}}
        operation["requestBody"] = {"required": not route.body_optional, "content": body_schema}
    return operation


def _parameters(route: ApiRoute) -> list[dict[str, Any]]:
    path = [
        {"name": name, "in": "path", "required": True, "schema": _path_schema(name)}
        for name in re.findall(r"{(\w+)}", route.path)
    ]
    query = [{"name": q.name, "in": "query", "required": False, "schema": q.schema, "description": q.description}
             for q in route.query]  # fmt: skip
    return path + query


def _path_schema(name: str) -> dict[str, Any]:
    pattern = PATH_PATTERNS.get(name)
    return {"type": "string"} if pattern is None else {"type": "string", "pattern": f"^{pattern}$"}


def _responses(route: ApiRoute, refs: dict[type[BaseModel], dict[str, Any]]) -> dict[str, Any]:
    error = {"application/json": {"schema": refs[ErrorView]}}
    if route.stream:
        ok: dict[str, Any] = {"description": "Server-sent events", "content": {"text/event-stream": {}}}
    elif route.response is not None:
        ok = {"description": "OK", "content": {"application/json": {"schema": refs[route.response]}}}
    else:
        ok = {"description": "OK"}
    responses: dict[str, Any] = {str(route.status): ok}
    for status, text in _AUTH_ERRORS[route.auth].items():
        responses[status] = {"description": text, "content": error}
    if route.body is not None:
        responses["422"] = {"description": "The body does not validate", "content": error}
    return responses


def _security_schemes() -> dict[str, Any]:
    return {
        "conversationToken": {"type": "apiKey", "in": "header", "name": "X-Conversation-Token"},
        "conversationCookie": {
            "type": "apiKey", "in": "cookie", "name": "agentkit_chat",
            "description": "Set by POST /api/conversations; accepted for reads only (GET), so it cannot be used "
                           "to write from another site",
        },
        "deskSession": {"type": "apiKey", "in": "cookie", "name": "agentkit_desk"},
        "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
    }  # fmt: skip


class _PatternConvertor(Convertor[str]):
    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


for _name, _pattern in PATH_PATTERNS.items():
    register_url_convertor(_name, type(f"{_name}_convertor", (_PatternConvertor,), {"regex": _pattern})())
