"""Incident facts for the rules tests: a quiet baseline incident to override, and seeded random ones."""

from __future__ import annotations

import random
from typing import Any

QUIET: dict[str, Any] = {
    "deaths": 0,
    "injured_or_poisoned": 0,
    "evacuated": 0,
    "direct_loss_yuan": 0,
    "water_source_interruption": "none",
    "radioactive_source_class": None,
    "radiation_wide_severe_contamination": False,
    "ecological_damage": "none",
    "cross_boundary": "none",
    "heavy_metal": False,
    "affects_drinking_water_source": False,
    "sensitive_receptors": [],
    "mass_incident": False,
    "sensitive_period": False,
    "reporting_authority": "county",
}


# The optional facts (D18-D20) and their defaults; QUIET leaves them out, as a caller that knows nothing of them.
OPTIONAL: dict[str, Any] = {
    "radiation_acute_deaths": 0,
    "radiation_sickness_cases": 0,
    "radiation_leak_extent": "none",
    "cross_boundary_possible": "none",
    "level_determined": False,
}


def incident(**overrides: Any) -> dict[str, Any]:
    """A fresh copy of the quiet incident (level IV, nothing triggered) with ``overrides`` applied."""
    unknown = set(overrides) - set(QUIET) - set(OPTIONAL)
    assert not unknown, f"not a fact: {unknown}"
    facts = {**QUIET, "sensitive_receptors": []}
    facts.update(overrides)
    return facts


def random_incident(rng: random.Random) -> dict[str, Any]:
    """Facts that land near every threshold of the baseline often, and reach every enum value."""

    def near(*bounds: int) -> int:
        bound = rng.choice(bounds)
        return max(0, bound + rng.choice([-1, 0, 0, 1, rng.randrange(-bound, bound + 1)]))

    facts = {
        "deaths": rng.choice([0, 0, near(1, 3, 10, 30)]),
        "injured_or_poisoned": rng.choice([0, 0, near(1, 10, 50, 100)]),
        "evacuated": rng.choice([0, 0, near(1, 5000, 10000, 50000)]),
        "direct_loss_yuan": rng.choice(
            [0, near(5_000_000, 20_000_000, 100_000_000), near(5_000_000, 20_000_000) + rng.random()]
        ),
        "water_source_interruption": rng.choice(["none", "none", "township", "county", "city"]),
        "radioactive_source_class": rng.choice([None] * 8 + ["I", "II", "III", "IV", "V"]),
        "radiation_wide_severe_contamination": rng.random() < 0.08,
        "ecological_damage": rng.choice(
            [
                "none",
                "none",
                "protected_species_damaged",
                "partial_loss_or_mass_death",
                "function_loss_or_extinction",
            ]
        ),
        "cross_boundary": rng.choice(["none", "none", "county", "city", "province", "national"]),
        "heavy_metal": rng.random() < 0.25,
        "affects_drinking_water_source": rng.random() < 0.25,
        "sensitive_receptors": rng.choice([[], [], ["school"], ["hospital", "residential"]]),
        "mass_incident": rng.random() < 0.15,
        "sensitive_period": rng.random() < 0.25,
        "reporting_authority": rng.choice(["county", "city"]),
    }
    # the optional facts: often left out (their defaults), sometimes sent, now and then sent at their default
    optional = {
        "radiation_acute_deaths": rng.choice([0, near(1, 3)]),
        "radiation_sickness_cases": rng.choice([0, near(1, 10)]),
        "radiation_leak_extent": rng.choice(["none", "facility", "small", "large", "wide"]),
        "cross_boundary_possible": rng.choice(["none", "county", "city", "province", "national"]),
        "level_determined": rng.random() < 0.5,
    }
    for name, value in optional.items():
        if rng.random() < (0.08 if name.startswith("radiation_") else 0.3):
            facts[name] = value
    return facts
