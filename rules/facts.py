"""Incident facts: the input half of the escalation contract (docs/ESCALATION.md, §Facts).

The fifteen facts of ``FACT_SPECS`` are required here. Filling defaults for a first report is the API's business;
the rules layer must never guess a fact, because a guessed ``deaths`` or ``cross_boundary`` silently changes who is
told and how fast. The facts of ``OPTIONAL_FACT_SPECS`` (D18-D20) came later: each has a default that says
"nothing of the kind" and so gives exactly the decision the facts gave before it existed; callers that know
nothing of them need not send them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from rules.errors import FactsInvalid, FieldError

FactKind = Literal["count", "amount", "enum", "optional_enum", "bool", "strings"]


@dataclass(frozen=True)
class FactSpec:
    """How one fact is typed; shared by fact validation and by ruleset validation of conditions."""

    name: str
    kind: FactKind
    choices: tuple[str, ...] = ()
    optional: bool = False
    default: Any = None  # the value of an optional fact that was not sent


WATER_SOURCE_INTERRUPTION = ("none", "township", "county", "city")
RADIOACTIVE_SOURCE_CLASSES = ("I", "II", "III", "IV", "V")
ECOLOGICAL_DAMAGE = (
    "none",
    "protected_species_damaged",
    "partial_loss_or_mass_death",
    "function_loss_or_extinction",
)
CROSS_BOUNDARY = ("none", "county", "city", "province", "national")
REPORTING_AUTHORITIES = ("county", "city")
# NP2014 Annex 1 radiation row: 厂区内或设施内局部, 小范围, 较大范围, 大范围 (辐射污染后果) (D18)
RADIATION_LEAK_EXTENTS = ("none", "facility", "small", "large", "wide")

FACT_SPECS: tuple[FactSpec, ...] = (
    FactSpec("deaths", "count"),
    FactSpec("injured_or_poisoned", "count"),
    FactSpec("evacuated", "count"),
    FactSpec("direct_loss_yuan", "amount"),
    FactSpec("water_source_interruption", "enum", WATER_SOURCE_INTERRUPTION),
    FactSpec("radioactive_source_class", "optional_enum", RADIOACTIVE_SOURCE_CLASSES),
    FactSpec("radiation_wide_severe_contamination", "bool"),
    FactSpec("ecological_damage", "enum", ECOLOGICAL_DAMAGE),
    FactSpec("cross_boundary", "enum", CROSS_BOUNDARY),
    FactSpec("heavy_metal", "bool"),
    FactSpec("affects_drinking_water_source", "bool"),
    FactSpec("sensitive_receptors", "strings"),
    FactSpec("mass_incident", "bool"),
    FactSpec("sensitive_period", "bool"),
    FactSpec("reporting_authority", "enum", REPORTING_AUTHORITIES),
)
# Optional facts (docs/DECISIONS.md, D18-D20), after the required ones in contract order.
OPTIONAL_FACT_SPECS: tuple[FactSpec, ...] = (
    FactSpec("radiation_acute_deaths", "count", optional=True, default=0),
    FactSpec("radiation_sickness_cases", "count", optional=True, default=0),
    FactSpec("radiation_leak_extent", "enum", RADIATION_LEAK_EXTENTS, optional=True, default="none"),
    FactSpec("cross_boundary_possible", "enum", CROSS_BOUNDARY, optional=True, default="none"),
    FactSpec("level_determined", "bool", optional=True, default=False),
)
ALL_FACT_SPECS = FACT_SPECS + OPTIONAL_FACT_SPECS
FACTS_BY_NAME: dict[str, FactSpec] = {spec.name: spec for spec in ALL_FACT_SPECS}


@dataclass(frozen=True)
class IncidentFacts:
    """The facts of one incident at one moment (first report or a follow-up), validated."""

    deaths: int
    injured_or_poisoned: int
    evacuated: int
    direct_loss_yuan: int | float
    water_source_interruption: str
    radioactive_source_class: str | None
    radiation_wide_severe_contamination: bool
    ecological_damage: str
    cross_boundary: str
    heavy_metal: bool
    affects_drinking_water_source: bool
    sensitive_receptors: tuple[str, ...]
    mass_incident: bool
    sensitive_period: bool
    reporting_authority: str
    radiation_acute_deaths: int = 0
    radiation_sickness_cases: int = 0
    radiation_leak_extent: str = "none"
    cross_boundary_possible: str = "none"
    level_determined: bool = False

    def __post_init__(self) -> None:
        # Built directly (not through parse), the facts are checked all the same: decide() trusts this type.
        errors: list[FieldError] = []
        for spec in ALL_FACT_SPECS:
            value, problem = _check(spec, getattr(self, spec.name))
            if problem:
                errors.append({"field": spec.name, "message": problem})
            else:
                object.__setattr__(self, spec.name, value)  # a list of receptors becomes a tuple
        if errors:
            raise FactsInvalid(errors)

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> IncidentFacts:
        """Validate a mapping (e.g. a JSON body); raise ``FactsInvalid`` listing every bad field."""
        return parse(data)

    def to_dict(self) -> dict[str, Any]:
        """The facts as JSON-ready data, in contract order (what the engine stores next to a decision).

        An optional fact at its default is left out: the facts of an incident that does not use it read exactly
        as they did before the fact existed.
        """
        out = {
            spec.name: getattr(self, spec.name)
            for spec in ALL_FACT_SPECS
            if not spec.optional or getattr(self, spec.name) != spec.default
        }
        out["sensitive_receptors"] = list(self.sensitive_receptors)
        return out


assert tuple(f.name for f in fields(IncidentFacts)) == tuple(s.name for s in ALL_FACT_SPECS)
assert all(getattr(IncidentFacts, s.name) == s.default for s in OPTIONAL_FACT_SPECS)


def _check(spec: FactSpec, value: object) -> tuple[object, str | None]:
    """Return the normalised value and an error message (None when valid)."""
    kind = spec.kind
    if kind == "count":
        # bool is an int subclass in Python; True must not count as one death.
        if isinstance(value, bool) or not isinstance(value, int):
            return value, f"must be an integer, got {_type_name(value)}"
        if value < 0:
            return value, f"must be >= 0, got {value}"
        return value, None
    if kind == "amount":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value, f"must be a number, got {_type_name(value)}"
        if not math.isfinite(value):
            return value, "must be a finite number"
        if value < 0:
            return value, f"must be >= 0, got {value}"
        return value, None
    if kind == "bool":
        if not isinstance(value, bool):
            return value, f"must be true or false, got {_type_name(value)}"
        return value, None
    if kind in ("enum", "optional_enum"):
        if value is None and kind == "optional_enum":
            return None, None
        allowed = ", ".join(spec.choices) + (" or null" if kind == "optional_enum" else "")
        if not isinstance(value, str):
            return value, f"must be one of {allowed}, got {_type_name(value)}"
        if value not in spec.choices:
            return value, f"must be one of {allowed}, got {value!r}"
        return value, None
    # strings: a list of non-empty strings; the list of receptors is open (O17 Art.4(2) says "等").
    if not isinstance(value, (list, tuple)):
        return value, f"must be a list of strings, got {_type_name(value)}"
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            return value, f"item {i} must be a non-empty string, got {item!r}"
    return tuple(value), None


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "list",
        dict: "object",
    }.get(type(value), type(value).__name__)


def parse(data: Mapping[str, Any]) -> IncidentFacts:
    """Validate ``data`` against §Facts into ``IncidentFacts``; raise ``FactsInvalid`` with all errors at once.

    A missing optional fact takes its default (the dataclass field's default, asserted equal to the spec's).
    """
    if not isinstance(data, Mapping):
        raise FactsInvalid([{"field": "$", "message": f"facts must be an object, got {_type_name(data)}"}])
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for spec in ALL_FACT_SPECS:
        if spec.name not in data:
            if not spec.optional:
                errors.append({"field": spec.name, "message": "required field is missing"})
            continue
        value, problem = _check(spec, data[spec.name])
        if problem:
            errors.append({"field": spec.name, "message": problem})
        values[spec.name] = value
    for name in sorted(k for k in data if k not in FACTS_BY_NAME):
        errors.append({"field": str(name), "message": "unknown field"})
    if errors:
        raise FactsInvalid(errors)
    return IncidentFacts(**values)
