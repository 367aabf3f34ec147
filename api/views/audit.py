"""Audit endpoints (留痕管理): verify a history, replay it to any event, export it, and the compliance reports.

All of them only read, and only auditors and administrators may call them.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Blueprint, Response

from api.audit_schemas import (
    ChainReportSchema,
    DeadlineQuery,
    ExportedEventSchema,
    HistoryExportQuery,
    IncidentDeadlinesSchema,
    OpenInvestigationSchema,
    ReplayQuery,
    ReplayResultSchema,
)
from api.auth import ADMIN, AUDITOR, requires
from api.context import query, services
from engine.audit.replay import Replayer
from engine.audit.reports import Reports, TimelineEvent
from engine.audit.verify import ChainVerifier

bp = Blueprint("audit", __name__)

CSV_COLUMNS = (
    "instance_id",
    "definition_key",
    "definition_version",
    "seq",
    "at",
    "actor",
    "kind",
    "element_id",
    "task_id",
    "payload",
    "prev_hash",
    "hash",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _reports() -> Reports:
    s = services()
    return Reports(s.db, s.definitions, s.clock)


@bp.get("/instances/<id:instance_id>/history/verify")
@requires(ADMIN, AUDITOR)
def verify_history(instance_id: int) -> Any:
    """Recompute the instance's hash chain; names the first edited, deleted or reordered event.
    ---
    get:
      tags: [audit]
      description: >-
        200 either way: `intact` says whether the chain holds; `problem` names the first broken link (its `seq`,
        and whether the row was edited, deleted, reordered or appended, or the instance row's head disagrees).
      responses:
        200: {content: {application/json: {schema: ChainReportSchema}}}
    """
    return ChainReportSchema().dump(ChainVerifier(services().db).verify(instance_id))


@bp.get("/instances/<id:instance_id>/replay")
@requires(ADMIN, AUDITOR)
def replay_instance(instance_id: int) -> Any:
    """The instance as it stood after event `to`, computed by re-executing its recorded commands.
    ---
    get:
      tags: [audit]
      description: >-
        Re-executes the recorded commands against the recorded definition version with the recorded clock. A
        command's events were committed together, so the state is the one after the command that event `to`
        belongs to (`state.seq`). Recorded consequences that replay does not reproduce are reported in
        `divergence` (the first one); without `to` (or with the last seq) the stored snapshot, status, data and
        task and timer rows are compared as well.
      parameters: [{in: query, schema: ReplayQuery}]
      responses:
        200: {content: {application/json: {schema: ReplayResultSchema}}}
        409: {description: 'the history cannot be re-executed up to `to`; `details` is the divergence',
              content: {application/json: {schema: ErrorSchema}}}
    """
    to = query(ReplayQuery())["to"]
    return ReplayResultSchema().dump(Replayer(services().instances).state_at(instance_id, to))


@bp.get("/instances/<id:instance_id>/history/export")
@requires(ADMIN, AUDITOR)
def export_history(instance_id: int) -> Any:
    """The instance's history for export: JSON, or CSV (`format=csv`) with the chain columns.
    ---
    get:
      tags: [audit]
      parameters: [{in: query, schema: HistoryExportQuery}]
      responses:
        200:
          content:
            application/json: {schema: {type: array, items: ExportedEventSchema}}
            text/csv: {schema: {type: string}}
    """
    if query(HistoryExportQuery())["format"] == "csv":
        return history_csv_response(instance_id)
    return ExportedEventSchema(many=True).dump(_reports().history(instance_id))


def history_csv_response(instance_id: int) -> Response:
    """The instance's history as a CSV download (also what ``GET /instances/<id>/history?format=csv`` answers)."""
    return history_csv(_reports().history(instance_id), f"instance-{instance_id}-history.csv")


def history_csv(events: list[TimelineEvent], filename: str) -> Response:
    """Events as CSV for spreadsheets: UTF-8 with a BOM (Excel and WPS otherwise read Chinese as GBK), the
    payload as one JSON cell, and text that a spreadsheet would run as a formula quoted with a leading '."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in events:
        row = {
            **event.__dict__,
            "at": event.at.isoformat(),
            "payload": json.dumps(event.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
        }
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@bp.get("/timeline/<key:business_key>")
@requires(ADMIN, AUDITOR)
def timeline(business_key: str) -> Any:
    """Every event of every instance of an incident (business key), by time, naming instance and definition.
    ---
    get:
      tags: [audit]
      description: Ordered by time, then instance id, then seq; linked instances carry parent_id and link_kind.
      responses:
        200: {content: {application/json: {schema: {type: array, items: ExportedEventSchema}}}}
    """
    return ExportedEventSchema(many=True).dump(_reports().timeline(business_key))


@bp.get("/reports/deadlines")
@requires(ADMIN, AUDITOR)
def deadlines_report() -> Any:
    """Deadline compliance per incident: every timer, what it guards, due and done times, met or missed.
    ---
    get:
      tags: [reports]
      description: >-
        One entry per business key; each deadline is a timer row of one of its instances. `done_at` is when the
        guarded task completed (or the timer fired or was cancelled); `outcome` is met, missed, open (not yet
        due), cancelled (ended before anything was due or done) or elapsed (a plain delay, no deadline).
      parameters: [{in: query, schema: DeadlineQuery}]
      responses:
        200: {content: {application/json: {schema: {type: array, items: IncidentDeadlinesSchema}}}}
    """
    args = query(DeadlineQuery())
    return IncidentDeadlinesSchema(many=True).dump(_reports().deadlines(args["business_key"], args["outcome"]))


@bp.get("/reports/three-no-let-go")
@requires(ADMIN, AUDITOR)
def three_no_let_go_report() -> Any:
    """三个不放过: open investigations and which of their three conditions are not yet true.
    ---
    get:
      tags: [reports]
      description: >-
        Open (running or suspended) investigation_accountability instances; `failing` lists which of
        cause_established, responsible_dealt_with and rectification_done their data does not hold as true.
      responses:
        200: {content: {application/json: {schema: {type: array, items: OpenInvestigationSchema}}}}
    """
    return OpenInvestigationSchema(many=True).dump(_reports().three_no_let_go())
