"""One place maps engine errors to HTTP status codes and the JSON error body; no stack traces leave the server."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, g, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from engine import errors as e
from engine.sandbox import ForbiddenExpression

log = logging.getLogger("emflow.api")

STATUS = {
    e.NotFound: 404,
    e.Conflict: 409,
    e.DataInvalid: 422,
    e.ProcessError: 422,
    e.DefinitionInvalid: 400,
    e.Forbidden: 403,
    e.Unauthenticated: 401,
    ForbiddenExpression: 400,
}


def error_response(status: int, code: str, message: str, details: Any = None) -> Any:
    """The error body; messages often quote the input, so text that cannot be encoded is made encodable first."""
    response = jsonify(_encodable({"error": {"code": code, "message": message, "details": details}}))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="emflow"'
    return response


def _encodable(value: Any) -> Any:
    """Lone surrogates (JSON ``"\\ud800"`` decodes to one) become U+FFFD: otherwise writing the response fails and
    a 4xx that quotes hostile input turns into a 500."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encodable(v) for v in value]
    return value


def init_app(app: Flask) -> None:
    @app.errorhandler(e.EmflowError)
    def _emflow(exc: e.EmflowError) -> Any:
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
        if status == 403:
            _audit_denial(exc)
        return error_response(status, exc.code, exc.message, exc.details)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError) -> Any:
        fields = ", ".join(sorted(str(k) for k in exc.messages)) if isinstance(exc.messages, dict) else ""
        return error_response(422, "invalid_request", f"invalid request field(s): {fields}", exc.messages)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        if exc.code == 413:
            message = f"request body larger than {app.config['MAX_CONTENT_LENGTH']} bytes"
        return error_response(exc.code or 500, code, message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "internal error; it has been logged")


def _audit_denial(exc: e.EmflowError) -> None:
    """Every denied action is recorded, whoever denied it (role check here, lane check in the engine)."""
    actor = getattr(g, "actor", None)
    current_app.extensions["emflow"].users.audit(
        actor.name if actor else None, f"{request.method} {request.path}", "denied", {"reason": exc.message}
    )
