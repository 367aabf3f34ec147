"""A long-lived five_firsts instance: 1,000 follow-up reports (续报) through the API, then the emergency ends,
the whole instance completes, and replaying its history reproduces the stored state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

DISCOVERED = "2026-04-14T08:40:00+08:00"
ENDED = "2026-05-30T18:00:00+08:00"
REPORTS = 1000

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_five_firsts_with_a_thousand_follow_up_reports_completes_and_replays(desk):
    bk = "LJ-2026-0414-LONG"
    iid = desk.record_incident(bk, DISCOVERED)
    desk.complete("duty", "Task_InitialReport", iid)
    desk.sign_and_send_initial(iid)
    facts = desk.facts()
    sizes = []
    start = datetime(2026, 4, 14, 2, 0, tzinfo=UTC)
    for n in range(1, REPORTS + 1):
        desk.clock.set(start + timedelta(hours=n))  # hourly follow-up reports for six weeks
        desk.follow_up(iid, propose_emergency_end=False, **facts)
        if n in (10, REPORTS):
            with desk.services.db.connect() as conn:
                sizes.append(
                    conn.execute(
                        text("SELECT length(snapshot) FROM process_instance WHERE id = :i"), {"i": iid}
                    ).scalar()
                )
    assert sizes[1] < 1.5 * sizes[0], sizes  # the live snapshot does not grow with the history
    assert len(desk.events(iid, "escalation_reevaluated")) == REPORTS
    assert desk.ready(iid)["Task_FollowUpReport"] == "duty_officer"

    done = desk.drive(
        iid,
        answers={
            "Task_FollowUpReport": {**facts, "propose_emergency_end": True},
            "Task_RecordEndDeclaration": {"emergency_ended_at": ENDED},
        },
    )
    assert done["status"] == "completed"
    assert [e for e in desk.completed_elements(iid) if e == "Task_FollowUpReport"].__len__() == REPORTS + 1
    [inv] = [i for i in desk.by_business_key(bk) if i["definition_key"] == "investigation_accountability"]
    assert inv["parent_id"] == iid

    replay = desk.api.get(f"/api/v1/instances/{iid}/replay", as_="auditor")
    assert replay.status_code == 200, replay.get_json()
    body = replay.get_json()
    assert body["consistent"] is True, body.get("divergence")
    assert body["state"]["status"] == "completed"
    verified = desk.api.get(f"/api/v1/instances/{iid}/history/verify", as_="auditor").get_json()
    assert verified["intact"] is True
