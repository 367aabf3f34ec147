"""The clocks a ruleset may set besides the initial report's deadline: the grace of an immediate report (D17), target
minutes for the firsts (D21), the publication and press-conference deadlines (D22) — how each is checked, how
outputs combine (the shortest wins, per first), and that an overlay can only shorten them (D16, ``check_overlay``).
D-numbers are the decisions of docs/DECISIONS.md."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from rules import Ruleset, RulesetInvalid, bundled, check_overlay, decide, default_ruleset
from tests.rules.incidents import incident

RADIATION = {"radioactive_source_class": "IV"}
MAJOR = {"deaths": 10}
LEVEL_I_II = {"fact": "level", "op": "in", "value": ["I", "II"]}


def overlay(*rules: dict[str, Any], name: str = "clock-test") -> Ruleset:
    return Ruleset.parse(
        {
            "name": name,
            "version": 1,
            "kind": "overlay",
            "base": "cn-national-2015",
            "description": "test",
            "rules": list(rules),
        }
    )


def rule(rule_id: str, then: dict[str, Any], when: Any = "always") -> dict[str, Any]:
    return {"id": rule_id, "cites": "local", "when": when, "then": then}


def baseline_with(*rules: dict[str, Any], drop: tuple[str, ...] = ()) -> Ruleset:
    body: dict[str, Any] = copy.deepcopy(dict(default_ruleset().body))
    body["rules"] = [r for r in body["rules"] if r["id"] not in drop] + list(rules)
    body["version"] = 99
    return Ruleset.parse(body)


def problems_of(attempt: Callable[[], object]) -> list[dict[str, Any]]:
    with pytest.raises(RulesetInvalid) as caught:
        attempt()
    return list(caught.value.problems)


# ---- checking what a rule sets --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["immediate_report_grace_minutes", "publication_deadline_minutes"])
@pytest.mark.parametrize("value", [0, -5, True, "60", 1.5, None])
def test_a_clock_is_a_positive_whole_number_of_minutes(key: str, value: object) -> None:
    [problem] = problems_of(lambda: overlay(rule("bad", {key: value})))
    assert problem == {
        "rule": "bad",
        "field": f"then.{key}",
        "message": f"a number of minutes must be a positive integer, got {value!r}",
    }


def test_the_press_conference_deadline_is_checked_alike() -> None:
    [problem] = problems_of(lambda: overlay(rule("bad", {"press_conference_deadline_minutes": 0})))
    assert (problem["field"], problem["message"]) == (
        "then.press_conference_deadline_minutes",
        "a number of minutes must be a positive integer, got 0",
    )


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        (
            {},
            "then.first_targets_minutes",
            "must be a non-empty mapping of dispatch, monitoring, publication, investigation to minutes",
        ),
        (
            [60],
            "then.first_targets_minutes",
            "must be a non-empty mapping of dispatch, monitoring, publication, investigation to minutes",
        ),
        (
            {"dispatch": 60, "arrival": 30},
            "then.first_targets_minutes.arrival",
            "unknown first 'arrival'; known: dispatch, monitoring, publication, investigation",
        ),
        (
            {"report": 30},
            "then.first_targets_minutes.report",  # the report has its own deadline
            "unknown first 'report'; known: dispatch, monitoring, publication, investigation",
        ),
        (
            {"dispatch": 60, "monitoring": 0},
            "then.first_targets_minutes.monitoring",
            "a target in minutes must be a positive integer, got 0",
        ),
        (
            {"investigation": None},
            "then.first_targets_minutes.investigation",
            "a target in minutes must be a positive integer, got None",
        ),
    ],
)
def test_first_targets_name_known_firsts_with_positive_minutes(value: object, field: str, message: str) -> None:
    [problem] = problems_of(lambda: overlay(rule("bad", {"first_targets_minutes": value})))
    assert problem == {"rule": "bad", "field": field, "message": message}


def test_first_targets_are_kept_in_the_order_of_the_firsts_and_read_only() -> None:
    parsed = overlay(rule("r", {"first_targets_minutes": {"investigation": 300, "publication": 200, "dispatch": 120}}))
    targets = parsed.rules[0].then["first_targets_minutes"]
    assert list(targets.items()) == [("dispatch", 120), ("publication", 200), ("investigation", 300)]
    with pytest.raises(TypeError):
        targets["dispatch"] = 1


# ---- how they combine -----------------------------------------------------------------------------------------


def test_the_shortest_grace_of_every_overlay_wins_only_for_an_immediate_report() -> None:
    a = overlay(rule("grace-50", {"immediate_report_grace_minutes": 50}), name="a")
    b = overlay(rule("grace-45", {"immediate_report_grace_minutes": 45}), name="b")
    for overlays in ([a, b], [b, a]):
        assert decide(incident(**RADIATION), overlays=overlays).immediate_report_grace_minutes == 45
    assert decide(incident(**RADIATION), overlays=[a]).immediate_report_grace_minutes == 50
    assert decide(incident(), overlays=[a, b]).immediate_report_grace_minutes is None  # 240 minutes: no grace


def test_an_overlay_that_makes_a_report_immediate_gives_it_the_baseline_grace() -> None:
    now = overlay(
        rule(
            "heavy-metal-now",
            {"initial_report_deadline_minutes": None},
            {"fact": "heavy_metal", "op": "==", "value": True},
        )
    )
    decision = decide(incident(heavy_metal=True), overlays=[now])
    assert decision.initial_report_deadline_minutes is None
    assert decision.deadline_rule is not None and decision.deadline_rule.rule == "heavy-metal-now"
    assert (decision.immediate_report, decision.immediate_report_grace_minutes) == (True, 60)


def test_no_deadline_at_all_is_not_immediate() -> None:
    # a baseline whose deadline rules do not cover every incident: the quiet one gets no deadline, not "immediately"
    base = baseline_with(drop=("deadline-general-240",))
    decision = decide(incident(), base)
    assert (decision.initial_report_deadline_minutes, decision.deadline_rule) == (None, None)
    assert (decision.immediate_report, decision.immediate_report_grace_minutes) == (False, None)


def test_a_ruleset_written_before_d17_gives_an_immediate_report_no_grace() -> None:
    decision = decide(incident(**RADIATION), bundled("cn-national-2015", 1)).to_dict()
    assert decision["immediate_report"] is True
    assert decision["immediate_report_grace_minutes"] is None
    assert decision["publication_deadline_minutes"] is None and decision["first_targets_minutes"] == {}


def test_first_targets_combine_per_first_to_the_shortest_in_the_order_of_the_firsts() -> None:
    local = overlay(
        rule("all", {"first_targets_minutes": {"monitoring": 240, "dispatch": 120}}),
        rule("major", {"first_targets_minutes": {"investigation": 600, "dispatch": 90}}, LEVEL_I_II),
        rule(
            "sensitive",
            {"first_targets_minutes": {"dispatch": 100, "publication": 180}},
            {"fact": "sensitive_period", "op": "==", "value": True},
        ),
    )
    quiet = decide(incident(), overlays=[local])
    assert dict(quiet.first_targets_minutes) == {"dispatch": 120, "monitoring": 240}
    major = decide(incident(**MAJOR, sensitive_period=True), overlays=[local]).to_dict()
    assert list(major["first_targets_minutes"].items()) == [
        ("dispatch", 90),
        ("monitoring", 240),
        ("publication", 180),
        ("investigation", 600),
    ]
    with pytest.raises(TypeError):
        quiet.first_targets_minutes["dispatch"] = 1  # type: ignore[index]


def test_an_overlay_may_shorten_the_publication_deadlines() -> None:
    local = overlay(
        rule("publish-4h", {"publication_deadline_minutes": 240}, LEVEL_I_II),
        rule("press-12h", {"press_conference_deadline_minutes": 720}),
    )
    decision = decide(incident(**MAJOR), overlays=[local])
    assert (decision.publication_deadline_minutes, decision.press_conference_deadline_minutes) == (240, 720)
    # for a level Ⅲ/Ⅳ event only the overlay speaks
    quiet = decide(incident(), overlays=[local])
    assert (quiet.publication_deadline_minutes, quiet.press_conference_deadline_minutes) == (None, 720)


# ---- an overlay only tightens ---------------------------------------------------------------------------------


def loosening_message(minutes: int, base_rule: str, base_minutes: int, base: str = "cn-national-2015") -> str:
    return (
        f"{minutes} minutes would loosen {base} rule {base_rule!r} ({base_minutes} minutes) for the same incidents; "
        "an overlay may only tighten (D16)"
    )


def test_a_longer_grace_in_an_overlay_is_refused_naming_rule_and_field() -> None:
    loose = overlay(
        rule("grace-90", {"immediate_report_grace_minutes": 90}, {"fact": "radiation_event", "op": "==", "value": True})
    )
    for attempt in (
        lambda: check_overlay(default_ruleset(), loose),
        lambda: Ruleset.parse(dict(loose.body), base=default_ruleset()),
        lambda: decide(incident(**RADIATION), overlays=[loose]),
    ):
        assert problems_of(attempt) == [
            {
                "rule": "grace-90",
                "field": "then.immediate_report_grace_minutes",
                "message": loosening_message(90, "immediate-report-grace-60", 60),
            }
        ]


@pytest.mark.parametrize("minutes", [1, 59, 60])
def test_an_equal_or_shorter_grace_is_accepted(minutes: int) -> None:
    check_overlay(default_ruleset(), overlay(rule("grace", {"immediate_report_grace_minutes": minutes})))
    assert (
        check_overlay(bundled("cn-national-2015", 1), overlay(rule("g", {"immediate_report_grace_minutes": 600})))
        is None
    )


@pytest.mark.parametrize(
    ("then", "when", "field", "base_rule", "base_minutes"),
    [
        (
            {"publication_deadline_minutes": 301},
            LEVEL_I_II,
            "then.publication_deadline_minutes",
            "publication-major-5h",
            300,
        ),
        (
            {"press_conference_deadline_minutes": 2880},
            "always",
            "then.press_conference_deadline_minutes",
            "press-conference-major-24h",
            1440,
        ),
    ],
)
def test_a_longer_publication_deadline_is_refused(
    then: dict[str, int], when: Any, field: str, base_rule: str, base_minutes: int
) -> None:
    [problem] = problems_of(lambda: check_overlay(default_ruleset(), overlay(rule("loose", then, when))))
    assert problem == {
        "rule": "loose",
        "field": field,
        "message": loosening_message(next(iter(then.values())), base_rule, base_minutes),
    }


def test_a_longer_publication_deadline_for_incidents_the_base_rule_never_covers_is_accepted() -> None:
    level_iv = {"fact": "level", "op": "==", "value": "IV"}
    check_overlay(default_ruleset(), overlay(rule("iv-publish", {"publication_deadline_minutes": 600}, level_iv)))


def test_first_targets_may_only_be_shortened_per_first() -> None:
    base = baseline_with(rule("on-scene-2h", {"first_targets_minutes": {"dispatch": 120, "monitoring": 240}}))
    check_overlay(base, overlay(rule("ok", {"first_targets_minutes": {"dispatch": 120, "monitoring": 60}})))
    check_overlay(base, overlay(rule("new", {"first_targets_minutes": {"publication": 9999}})))  # newly set
    [problem] = problems_of(
        lambda: check_overlay(
            base, overlay(rule("late", {"first_targets_minutes": {"dispatch": 60, "monitoring": 241}}))
        )
    )
    assert problem == {
        "rule": "late",
        "field": "then.first_targets_minutes.monitoring",
        "message": loosening_message(241, "on-scene-2h", 240),
    }
    decision = decide(incident(), base, [overlay(rule("ok", {"first_targets_minutes": {"monitoring": 60}}))])
    assert dict(decision.first_targets_minutes) == {"dispatch": 120, "monitoring": 60}


def test_every_loosened_clock_of_a_rule_is_named_in_the_order_of_the_outputs() -> None:
    base = baseline_with(rule("on-scene-2h", {"first_targets_minutes": {"dispatch": 120}}))
    loose = overlay(
        rule(
            "everything",
            {
                "first_targets_minutes": {"dispatch": 121},
                "press_conference_deadline_minutes": 1441,
                "immediate_report_grace_minutes": 61,
                "initial_report_deadline_minutes": 241,
                "publication_deadline_minutes": 301,
            },
        ),
        rule("immediately", {"initial_report_deadline_minutes": None}),  # null is never a loosening
    )
    problems = problems_of(lambda: check_overlay(base, loose))
    assert [(p["rule"], p["field"]) for p in problems] == [
        ("everything", "then.initial_report_deadline_minutes"),
        ("everything", "then.immediate_report_grace_minutes"),
        ("everything", "then.publication_deadline_minutes"),
        ("everything", "then.press_conference_deadline_minutes"),
        ("everything", "then.first_targets_minutes.dispatch"),
    ]
    assert problems[0]["message"] == loosening_message(241, "deadline-major-120", 120, "cn-national-2015")
