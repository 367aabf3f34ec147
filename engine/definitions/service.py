"""Deploying and reading process definitions: immutable versions, validated at deploy time, parsed once.

Redeploying XML identical to the latest version of its key is a no-op; anything else becomes version n+1.
Running instances keep the version they started on, so parsed specs are cached by definition id.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select
from sqlalchemy.exc import IntegrityError

from engine.bpmn.parser import user_task_specs
from engine.clock import Clock
from engine.definitions.forms import FormField, form_of
from engine.definitions.validation import ParsedDefinition, Problem, check, parse_definition
from engine.errors import Conflict, NotFound
from engine.store import tables as t
from engine.store.db import Database


@dataclass(frozen=True)
class DefinitionInfo:
    id: int
    key: str
    version: int
    name: str | None
    sha256: str
    documentation: str | None
    deployed_at: datetime
    deployed_by: str | None

    @classmethod
    def of(cls, row: Any) -> DefinitionInfo:
        return cls(row.id, *(getattr(row, name) for name in _INFO_COLUMNS))


_INFO_COLUMNS = ("key", "version", "name", "sha256", "documentation", "deployed_at", "deployed_by")
_D = t.definitions


@dataclass(frozen=True)
class LoadedDefinition:
    """What may happen: the parsed spec and what the engine derives from it, shared by all instances."""

    info: DefinitionInfo
    parsed: ParsedDefinition
    forms: dict[str, list[FormField]]

    def lane_of(self, element_id: str) -> tuple[str | None, str | None]:
        return self.parsed.lanes.get(element_id, (None, None))


class DefinitionService:
    """``functions`` and ``topics`` are what diagrams may call: the host functions of the script engine and the
    engine services of service tasks (``engine.runtime.service_tasks``), handed over by the service factory."""

    def __init__(self, db: Database, clock: Clock, functions: Iterable[str] = (), topics: Iterable[str] = ()):
        self.db = db
        self.clock = clock
        self.functions = frozenset(functions)
        self.topics = frozenset(topics)
        self._cache: dict[int, LoadedDefinition] = {}
        self._lock = threading.Lock()

    def validate(self, xml: bytes) -> list[Problem]:
        return check(xml, functions=self.functions, topics=self.topics)

    def deploy(self, xml: bytes, actor: str | None) -> tuple[DefinitionInfo, bool]:
        """Validate and store a new version; returns (definition, created)."""
        parsed = parse_definition(xml, functions=self.functions, topics=self.topics)
        sha = hashlib.sha256(xml).hexdigest()
        try:
            with self.db.transaction() as conn:
                latest = conn.execute(
                    select(_D).where(_D.c.key == parsed.key).order_by(_D.c.version.desc()).limit(1)
                ).first()
                if latest is not None and latest.sha256 == sha:
                    return DefinitionInfo.of(latest), False
                values: dict[str, Any] = {
                    "key": parsed.key,
                    "version": (latest.version + 1) if latest else 1,
                    "name": parsed.name,
                    "sha256": sha,
                    "bpmn_xml": xml.decode("utf-8"),
                    "documentation": parsed.documentation,
                    "deployed_at": self.clock.now(),
                    "deployed_by": actor,
                }
                new_id = conn.execute(insert(_D).values(**values).returning(_D.c.id)).scalar_one()
                info = DefinitionInfo(new_id, *(values[name] for name in _INFO_COLUMNS))
        except IntegrityError:
            raise Conflict(f"another deployment of '{parsed.key}' happened at the same time; retry") from None
        with self._lock:
            self._cache[info.id] = LoadedDefinition(info, parsed, _forms(parsed))
        return info, True

    def list(self, key: str | None = None, all_versions: bool = False) -> list[DefinitionInfo]:
        query = select(_D)
        if key:
            query = query.where(_D.c.key == key)
        if not all_versions:
            latest = select(_D.c.key, func.max(_D.c.version).label("v")).group_by(_D.c.key).subquery()
            query = query.join(latest, (latest.c.key == _D.c.key) & (latest.c.v == _D.c.version))
        with self.db.connect() as conn:
            rows = conn.execute(query.order_by(_D.c.key, _D.c.version)).all()
        return [DefinitionInfo.of(r) for r in rows]

    def get(self, key: str, version: int | None = None) -> DefinitionInfo:
        return DefinitionInfo.of(self._row(key, version))

    def xml(self, key: str, version: int | None = None) -> str:
        xml: str = self._row(key, version).bpmn_xml
        return xml

    def _row(self, key: str, version: int | None) -> Row[Any]:
        query = select(_D).where(_D.c.key == key)
        if version is not None:
            query = query.where(_D.c.version == version)
        with self.db.connect() as conn:
            row = conn.execute(query.order_by(_D.c.version.desc()).limit(1)).first()
        if row is None:
            suffix = f" version {version}" if version is not None else ""
            raise NotFound(f"no process definition '{key}'{suffix}", {"key": key, "version": version})
        return row

    def load(self, definition_id: int) -> LoadedDefinition:
        """The parsed definition for an id, parsed at most once per process."""
        cached = self._cache.get(definition_id)
        if cached is not None:
            return cached
        with self.db.connect() as conn:
            row = conn.execute(select(_D).where(_D.c.id == definition_id)).first()
        if row is None:
            raise NotFound(f"no process definition with id {definition_id}")
        info, xml = DefinitionInfo.of(row), row.bpmn_xml
        # validated when deployed; a check added since must not make a stored version unloadable
        parsed = parse_definition(xml.encode("utf-8"), validate=False)
        loaded = LoadedDefinition(info, parsed, _forms(parsed))
        with self._lock:
            self._cache[definition_id] = loaded
        return loaded


def _forms(parsed: ParsedDefinition) -> dict[str, list[FormField]]:
    return {ts.bpmn_id: form_of(ts) for ts in user_task_specs([parsed.spec, *parsed.subprocess_specs.values()])}
