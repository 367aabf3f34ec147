"""The decisions of investigation_accountability that pick its path, evaluated in the sandbox the engine uses:
who organises the investigation (O32 Art.4), the radiation accident's site investigation (RAD Art.42), the
hand-over, and the litigation referral by loss or social impact. The walks through the HTTP API are in
tests/scenarios/test_investigation_law_scenarios.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.processes.test_diagrams import after_merges, load, outcome, sandbox

KEY = "investigation_accountability"


def lead(**data: Any) -> dict[str, Any]:
    d = load(KEY)
    sandbox().execute(d.script("Script_DetermineInvestigationLead"), data)
    return data


@pytest.mark.parametrize(
    ("lead_code", "given", "bureau", "higher"),
    [
        ("mee", {"reporting_authority": "county"}, "county_eeb", True),
        ("mee", {"reporting_authority": "city"}, "city_eeb", True),
        ("provincial_eeb", {"reporting_authority": "city"}, "city_eeb", True),
        ("city_eeb", {"reporting_authority": "city"}, "city_eeb", False),
        ("city_eeb", {"reporting_authority": "county"}, "county_eeb", True),
        (
            "provincial_eeb",
            {"reporting_authority": "county", "bureau_authority": "provincial_eeb"},
            "provincial_eeb",
            False,
        ),
        ("provincial_eeb", {"bureau_authority": "mee"}, "mee", False),  # Art.4 ¶2: a higher authority may take over
        ("mee", {}, "mee", False),  # started by hand: the organising authority's own case
        (None, {"reporting_authority": "county"}, "county_eeb", False),  # radiation: no O32 lead
        ("provincial_eeb", {"reporting_authority": "province"}, "provincial_eeb", False),  # not a reporting bureau
    ],
)
def test_the_organising_authority_is_compared_with_the_bureau(
    lead_code: str | None, given: dict[str, str], bureau: str, higher: bool
) -> None:
    data = lead(escalation={"investigation": {"lead": lead_code}}, **given)
    assert (data["investigation_lead"], data["bureau_authority"]) == (lead_code, bureau)
    assert data["investigation_led_by_higher_authority"] is higher
    assert "authority_ranks" not in data, "the script leaves no scratch variables behind"


@pytest.mark.parametrize(
    ("delegated", "expected"), [(True, "Script_PrepareInvestigation"), (False, "Task_AssistHigherInvestigation")]
)
def test_a_delegated_bureau_investigates_and_an_undelegated_one_assists(delegated: bool, expected: str) -> None:
    d = load(KEY)
    assert after_merges(d, outcome(d, "Gateway_DelegatedToBureau", {"delegated_to_bureau": delegated})) == expected
    assert [f.get("targetRef") for f in d.outgoing("Task_ImplementHigherConclusions")] == ["End_LedByHigherAuthority"]


@pytest.mark.parametrize(
    ("controlled", "expected"), [(True, "Task_ReportRadiationAccident"), (False, "Task_RadiationSiteInvestigation")]
)
def test_a_radiation_accident_is_investigated_on_site_until_it_is_under_control(
    controlled: bool, expected: str
) -> None:
    d = load(KEY)
    assert (
        after_merges(d, outcome(d, "Gateway_RadiationControlled", {"radiation_impact_controlled": controlled}))
        == expected
    )
    assert [f.get("targetRef") for f in d.outgoing("Task_ReportRadiationAccident")] == ["End_RadiationCarvedOut"]


@pytest.mark.parametrize(
    ("loss", "mass_incident", "large_social_impact", "referred"),
    [
        (19_999_999, False, False, False),
        (20_000_000, False, False, True),
        (0, True, False, True),
        (0, False, True, True),
    ],
)
def test_litigation_referral_considers_loss_or_social_impact(
    loss: float, mass_incident: bool, large_social_impact: bool, referred: bool
) -> None:
    d = load(KEY)
    data = {"direct_loss_yuan": loss, "mass_incident": mass_incident, "large_social_impact": large_social_impact}
    target = outcome(d, "Gateway_LargeLoss", data)
    assert (target == "Task_PublicInterestLitigationReferral") is referred
    assert d.form("Task_TeamLeaderConsent")["large_social_impact"].get("type") == "boolean"


@pytest.mark.parametrize(("given", "expected"), [({}, False), ({"mass_incident": True}, True)])
def test_an_investigation_started_without_the_mass_incident_fact_reads_it_as_false(given: dict, expected: bool) -> None:
    data = {"escalation": {"level": "III", "investigation": {"time_limit_days": 30}}, **given}
    sandbox().execute(load(KEY).script("Script_PrepareInvestigation"), data)
    assert data["mass_incident"] is expected


def test_the_consent_comes_before_publication_and_the_archive_before_closing() -> None:
    """O32 Art.6: no release without the team leader's consent; Art.8: the case file is archived."""
    d = load(KEY)
    assert [f.get("targetRef") for f in d.outgoing("Task_TeamLeaderConsent")] == ["Task_PublishConclusions"]
    assert [f.get("sourceRef") for f in d.flows.values() if f.get("targetRef") == "Task_PublishConclusions"] == [
        "Task_TeamLeaderConsent"
    ]
    assert [f.get("targetRef") for f in d.outgoing("Task_ArchiveCaseFile")] == ["End_CaseClosed"]
    assert [f.get("sourceRef") for f in d.flows.values() if f.get("targetRef") == "End_CaseClosed"] == [
        "Task_ArchiveCaseFile"
    ]
