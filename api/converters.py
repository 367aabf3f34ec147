"""URL converters for path ids: a value that cannot name a row never reaches the database.

Without them a hostile path is a 500, not a 404: ``/instances/99999999999999999999`` overflows SQLite's
INTEGER, ``/instances/1099511627776`` is out of range for PostgreSQL's, and a NUL in ``/tasks/a%00b`` is refused
by PostgreSQL in any text parameter. With them such a path simply matches no route (404). Each converter also
carries the JSON schema of its values, so the OpenAPI document describes exactly what the route accepts.
"""

from __future__ import annotations

from typing import Any, ClassVar

from werkzeug.routing import BaseConverter, IntegerConverter, Map

MAX_ID = 2**31 - 1
"""Largest row id: PostgreSQL INTEGER (the id columns are INTEGER on both databases)."""

MAX_KEY_LENGTH = 200
"""Longest key or task id (the columns are VARCHAR(200) or shorter)."""


class IdConverter(IntegerConverter):
    """``<id:instance_id>``: a decimal row id from 1 to ``MAX_ID``, in ASCII digits (``\\d`` would also let
    ``/instances/１`` in full-width digits name instance 1 under a second spelling)."""

    regex = r"[0-9]{1,10}"
    openapi: ClassVar[dict[str, Any]] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ID)


class KeyConverter(BaseConverter):
    """``<key:task_id>``: one path segment of 1 to ``MAX_KEY_LENGTH`` characters without control characters."""

    regex = rf"[^/\x00-\x1f\x7f]{{1,{MAX_KEY_LENGTH}}}"
    part_isolating = True
    openapi: ClassVar[dict[str, Any]] = {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": "^[^/\\x00-\\x1f\\x7f]+$",
    }


CONVERTERS: dict[str, type[BaseConverter]] = {"id": IdConverter, "key": KeyConverter}
