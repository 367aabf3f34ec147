"""Rulesets as versioned data in the database, and the decisions the engine asks of them.

An administrator deploys a baseline version or a jurisdiction overlay without touching code. What is in force:
the latest version of the baseline ``cn-national-2015`` (or the one named), plus the latest version of every
deployed overlay of that baseline (overlays only tighten: docs/DECISIONS.md, D16). Every decision names the
versions that made it.
"""

from __future__ import annotations

import builtins
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import rules
from engine.clock import Clock
from engine.errors import Conflict, DataInvalid, EmflowError, NotFound
from engine.store import tables as t
from engine.store.db import Database

_R = t.rulesets
BUNDLED_RULESETS = Path(rules.__file__).resolve().parent / "rulesets"


class RulesetRejected(EmflowError):
    """An invalid ruleset: ``details`` lists each problem with the rule id and field."""

    code = "invalid_ruleset"


@dataclass(frozen=True)
class RulesetInfo:
    name: str
    version: int
    kind: str
    base: str | None
    sha256: str
    deployed_at: datetime
    deployed_by: str | None


class RulesetService:
    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock
        self._parsed: dict[str, rules.Ruleset] = {}  # sha256 -> parsed ruleset
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------- deploying
    def deploy(self, text: str | bytes, actor: str | None) -> tuple[RulesetInfo, bool]:
        """Validate and store a ruleset version; identical to the stored version: no-op (created False)."""
        try:
            candidate = rules.Ruleset.parse(text)
            base = self._latest(candidate.base) if candidate.kind == "overlay" else None
            if candidate.kind == "overlay":
                if base is None:
                    raise RulesetRejected(
                        f"overlay {candidate.name} names base {candidate.base}, which is not deployed",
                        [
                            {
                                "rule": None,
                                "field": "base",
                                "message": "deploy the baseline first",
                                "message_zh": "规则集的 base 有误：请先部署它所依据的基准规则集",
                            }
                        ],
                    )
                candidate = rules.Ruleset.parse(text, base=base)
        except rules.RulesetInvalid as exc:
            details = [{**problem, "message_zh": rules.problem_zh(problem)} for problem in exc.problems]
            raise RulesetRejected(f"invalid ruleset: {exc}", details) from None
        except rules.RulesError as exc:
            raise RulesetRejected(f"invalid ruleset: {exc}") from None
        except (UnicodeError, ValueError) as exc:  # e.g. a lone surrogate escaped in JSON text
            raise RulesetRejected(f"invalid ruleset text: {exc}") from None
        with self.db.connect() as conn:
            existing = conn.execute(
                select(_R).where(_R.c.name == candidate.name, _R.c.version == candidate.version)
            ).first()
        if existing is not None:
            if existing.sha256 == candidate.sha256:
                return _info(existing, candidate), False
            raise Conflict(
                f"{candidate.name} version {candidate.version} is already deployed with other rules; "
                "give the new rules a new version number",
                {"name": candidate.name, "version": candidate.version},
            )
        try:
            with self.db.transaction() as conn:
                conn.execute(
                    _R.insert().values(
                        name=candidate.name,
                        version=candidate.version,
                        kind=candidate.kind,
                        body=candidate.canonical_json(),
                        sha256=candidate.sha256,
                        deployed_at=self.clock.now(),
                        deployed_by=actor,
                    )
                )
        except IntegrityError:
            raise Conflict(f"{candidate.name} version {candidate.version} was deployed at the same time") from None
        with self._lock:
            self._parsed[candidate.sha256] = candidate
        return self.get(candidate.name, candidate.version), True

    def deploy_bundled(self, actor: str = "system") -> list[tuple[RulesetInfo, bool]]:
        """The baselines shipped in rules/rulesets (overlays there are examples, deployed only on purpose)."""
        out = []
        for path in sorted(BUNDLED_RULESETS.glob("*.yaml")):
            if rules.Ruleset.load(path).kind == "baseline":
                out.append(self.deploy(path.read_text(encoding="utf-8"), actor))
        return out

    # ------------------------------------------------------------------------------------------- reading
    def list(self) -> list[RulesetInfo]:
        with self.db.connect() as conn:
            rows = conn.execute(select(_R).order_by(_R.c.name, _R.c.version)).all()
        return [_info(r, self._ruleset(r)) for r in rows]

    def get(self, name: str, version: int | None = None) -> RulesetInfo:
        row = self._row(name, version)
        if row is None:
            raise NotFound(
                f"no ruleset '{name}'" + (f" version {version}" if version else ""), {"name": name, "version": version}
            )
        return _info(row, self._ruleset(row))

    def _row(self, name: str | None, version: int | None = None) -> Any:
        query = select(_R).where(_R.c.name == name)
        if version is not None:
            query = query.where(_R.c.version == version)
        with self.db.connect() as conn:
            return conn.execute(query.order_by(_R.c.version.desc()).limit(1)).first()

    def _latest(self, name: str | None) -> rules.Ruleset | None:
        row = self._row(name)
        return self._ruleset(row) if row is not None else None

    def _ruleset(self, row: Any) -> rules.Ruleset:
        with self._lock:
            parsed = self._parsed.get(row.sha256)
        if parsed is None:
            parsed = rules.Ruleset.parse(row.body)
            with self._lock:
                self._parsed[row.sha256] = parsed
        return parsed

    def in_force(
        self, name: str | None = None, version: int | None = None
    ) -> tuple[rules.Ruleset, builtins.list[rules.Ruleset]]:
        """The baseline (latest, or the version named) and the latest version of each of its overlays."""
        name = name or rules.DEFAULT_BASELINE
        row = self._row(name, version)
        if row is None:
            if version is None and name == rules.DEFAULT_BASELINE:
                return rules.default_ruleset(), []  # nothing deployed yet: the bundled baseline
            raise NotFound(
                f"no ruleset '{name}'" + (f" version {version}" if version else ""), {"name": name, "version": version}
            )
        baseline = self._ruleset(row)
        if baseline.kind != "baseline":
            raise DataInvalid({"ruleset": f"{name} is an overlay; name a baseline"})
        latest = (
            select(_R.c.name, func.max(_R.c.version).label("v"))
            .where(_R.c.kind == "overlay")
            .group_by(_R.c.name)
            .subquery()
        )
        with self.db.connect() as conn:
            rows = conn.execute(
                select(_R).join(latest, (latest.c.name == _R.c.name) & (latest.c.v == _R.c.version)).order_by(_R.c.name)
            ).all()
        overlays = [o for o in (self._ruleset(r) for r in rows) if o.base == baseline.name]
        return baseline, overlays

    def decide(self, facts: Any, name: str | None = None, version: int | None = None) -> dict[str, Any]:
        """A decision as a dict; bad facts raise DataInvalid naming each field."""
        baseline, overlays = self.in_force(name, version)
        try:
            return rules.decide(facts, baseline, overlays).to_dict()
        except rules.FactsInvalid as exc:
            raise DataInvalid(
                {e["field"]: e["message"] for e in exc.errors}, "the incident facts are invalid"
            ) from None


def _info(row: Any, parsed: rules.Ruleset) -> RulesetInfo:
    return RulesetInfo(row.name, row.version, row.kind, parsed.base, row.sha256, row.deployed_at, row.deployed_by)
