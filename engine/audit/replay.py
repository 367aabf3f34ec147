"""Replay: re-execute an instance's recorded commands and check that they reproduce what was recorded.

History is the truth and replay is a test. The commands of a history (``instance_started``,
``task_completed``, ``message_received``, ``timer_due``, ``instance_cancelled``; ``instance_suspended``,
``instance_resumed`` and ``task_claimed`` change only status and assignee) are executed again against the
definition version named in ``instance_started``, each with its event's time as the clock, a timer at its own
due time, and the instance's seed and the command's sequence number, so that task ids come out the same. What a
command caused (``task_state``, ``timer_fired``, ``escalation_*``, ``linked_instance_started``) is computed again
and compared, event by event, with what was recorded. The first difference is reported with the seq of the event,
never smoothed over; at the end of the history the stored snapshot, status, data, task rows and timer rows must be
what replay produced.

Nothing is written. A ``process.start`` service task only asks for a linked instance (the command would start it
in its transaction); here the instance it started is looked up and compared with what was asked instead.

Rule decisions come from the recorded ruleset version, not from whatever rules are deployed today: replay hands
the escalation services the decisions that history recorded (``RecordedDecisions``, set as
``CommandContext.decisions``), after checking that the facts they were made on are the facts replay computed.
Each recorded command is re-executed by ``engine.runtime.commands.execute``, the very function live commands run:
replay never restates what a command does, it only compares what the command caused with what was recorded.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, select

from engine.actors import SYSTEM, Actor
from engine.audit.divergence import (
    Diverged,
    Divergence,
    ReplayDiverged,
    describe,
    divergence_in,
    event_json,
    first_difference,
    pending_json,
    short,
    text,
)
from engine.audit.recorded import (
    Record,
    RecordedDecisions,
    current_format,
    decisions_from_history,
    grouped_commands,
)
from engine.audit.replay_results import LinkedInstance, ReplayResult, ReplayState, ReplayTask
from engine.audit.verify import STORED_EVENT_COLUMNS, StoredEvent
from engine.bpmn.effects import ready_user_tasks, waiting_timers
from engine.bpmn.snapshot import dump_workflow
from engine.command_context import CommandContext
from engine.errors import DataInvalid, EmflowError, NotFound
from engine.events import PendingEvent, json_safe
from engine.names import ESCALATION_KINDS, EventKind, InstanceStatus, Role
from engine.runtime import commands
from engine.runtime.commands import Command, Execution, Outcome
from engine.runtime.instances import InstanceService, data_of
from engine.store import tables as t

_H, _I, _D, _T, _TM = t.history, t.instances, t.definitions, t.tasks, t.timers


class Replayer:
    """Re-executes histories with the engine's own script engine and definitions; reads only."""

    def __init__(self, instances: InstanceService):
        self.instances = instances
        self.db = instances.db
        self.definitions = instances.definitions

    def replay(self, instance_id: int, to: int | None = None) -> ReplayResult:
        """The state after event ``to`` (default: the whole history, then compared with the stored state)."""
        record = self._read(instance_id)
        last = record.events[-1].seq if record.events else 0
        if to is not None and not 1 <= to <= last:
            raise DataInvalid(
                {"to": f"must be between 1 and {last}, the last event of instance {instance_id}"},
                f"instance {instance_id} has no event {to} (its history ends at seq {last})",
            )
        target = last if to is None else to
        run = _Run(self, record)
        checked_end = run.until(target) is None and target == last
        snapshot = None
        if checked_end:
            run.note(run.check_end())
            snapshot = run.snapshot()
        state = run.state() if run.reached(target) else None
        mode = "recorded" if decisions_from_history() else "re-evaluated"
        return ReplayResult(instance_id, target, last, run.commands, state, run.divergence, mode, checked_end, snapshot)

    def state_at(self, instance_id: int, to: int | None = None) -> ReplayResult:
        """Like ``replay``, but a history that cannot be re-executed up to ``to`` is an error (409)."""
        result = self.replay(instance_id, to)
        if result.state is None:
            assert result.divergence is not None
            raise ReplayDiverged(instance_id, result.divergence)
        return result

    def instance_ids(self) -> list[int]:
        with self.db.connect() as conn:
            return list(conn.execute(select(_I.c.id).order_by(_I.c.id)).scalars())

    def replay_all(self) -> Iterator[ReplayResult]:
        for instance_id in self.instance_ids():
            yield self.replay(instance_id)

    def _read(self, instance_id: int) -> Record:
        with self.db.connect() as conn:
            row = conn.execute(
                select(
                    _I.c.id,
                    _I.c.definition_id,
                    _D.c.key,
                    _D.c.version,
                    _I.c.business_key,
                    _I.c.status,
                    _I.c.snapshot,
                    _I.c.data,
                    _I.c.seed,
                    _I.c.semantics,
                )
                .join(_D, _D.c.id == _I.c.definition_id)
                .where(_I.c.id == instance_id)
            ).first()
            if row is None:
                raise NotFound(f"no process instance {instance_id}", {"instance_id": instance_id})
            events = conn.execute(
                select(*STORED_EVENT_COLUMNS).where(_H.c.instance_id == instance_id).order_by(_H.c.seq)
            ).all()
        return Record(
            row.id,
            row.definition_id,
            row.key,
            row.version,
            row.business_key,
            row.status,
            row.snapshot,
            row.data,
            row.seed,
            [current_format(StoredEvent.of(e)) for e in events],
            row.semantics,
        )

    def _linked_row(self, instance_id: Any) -> Any:
        if not isinstance(instance_id, int):
            return None
        with self.db.connect() as conn:
            row = conn.execute(
                select(_I.c.id, _I.c.parent_id, _I.c.definition_key, _I.c.link_kind, _I.c.business_key).where(
                    _I.c.id == instance_id
                )
            ).first()
            if row is None:
                return None
            started = conn.execute(
                select(_H.c.at, _H.c.payload).where(_H.c.instance_id == instance_id, _H.c.seq == 1)
            ).first()
        return row, started

    def _projections(self, instance_id: int) -> tuple[Sequence[Row[Any]], Sequence[Row[Any]]]:
        with self.db.connect() as conn:
            tasks = conn.execute(
                select(_T.c.id, _T.c.element_id, _T.c.assignee, _T.c.due_at).where(
                    _T.c.instance_id == instance_id, _T.c.state == "READY"
                )
            ).all()
            timers = conn.execute(
                select(_TM.c.task_id, _TM.c.element_id, _TM.c.due_at).where(
                    _TM.c.instance_id == instance_id, _TM.c.fired_at.is_(None), _TM.c.cancelled_at.is_(None)
                )
            ).all()
        return tasks, timers


class _Run:
    """One replay of one instance, command by command."""

    def __init__(self, replayer: Replayer, record: Record):
        self.replayer = replayer
        self.instances = replayer.instances
        self.record = record
        self.execution: Execution | None = None
        self.seed: str | None = None
        self.assignees: dict[str, str] = {}
        self.ready_info: dict[str, tuple[datetime, datetime | None]] = {}
        self.linked: list[LinkedInstance] = []
        self.seq = 0  # last event re-executed (or compared)
        self.at: datetime | None = None
        self.commands = 0
        self.divergence: Divergence | None = None

    @property
    def status(self) -> InstanceStatus:
        return self.execution.status if self.execution is not None else InstanceStatus.RUNNING

    # -------------------------------------------------------------------------------------------- driving
    def until(self, target: int) -> Divergence | None:
        """Re-execute every command whose first event is at or before ``target``; the first divergence, if any.

        The commands are the truth and everything else is derived from them: a recorded consequence that differs
        is reported but replay goes on; a command that cannot be executed again ends the replay there.
        """
        for command in grouped_commands(self.record.events):
            if isinstance(command, Divergence):
                self.note(command)
                break
            if command[0].seq > target:
                break
            try:
                self._check_sequence(command)
                self._apply(command)
            except Diverged as stop:
                self.note(stop.divergence)
                break
            self.commands += 1
            self.seq, self.at = command[-1].seq, command[0].at
        return self.divergence

    def note(self, divergence: Divergence | None) -> None:
        if self.divergence is None:
            self.divergence = divergence

    def reached(self, target: int) -> bool:
        return self.execution is not None and self.execution.workflow is not None and self.seq >= target

    def _check_sequence(self, command: list[StoredEvent]) -> None:
        for offset, event in enumerate(command):
            expected = (command[0].seq if offset else self.seq + 1) + offset
            if event.seq != expected:
                self.note(
                    Divergence(
                        expected,
                        "missing_event",
                        f"event {expected} is missing from the history "
                        f"(the next stored event is seq {event.seq}, {event.kind})",
                    )
                )
                return

    def _apply(self, command: list[StoredEvent]) -> None:
        """Re-execute one recorded command with ``commands.execute`` and compare what it caused."""
        first = command[0]
        if first.kind == EventKind.INSTANCE_STARTED:
            if self.execution is not None:
                self._diverge(first.seq, "command_failed", "the instance is started a second time")
            self.execution = Execution(self._definition(first), self.instances.script_engine)
            ctx = CommandContext(
                now=first.at, actor=_actor(first), business_key=first.payload.get("business_key"), seed=self.seed, seq=1
            )
        elif self.execution is None:
            self._diverge(first.seq, "command_failed", "the history does not begin with instance_started")
        else:
            self.execution.instance_id = self.record.instance_id
            ctx = CommandContext(
                now=first.at, actor=_actor(first), instance_id=self.record.instance_id, seed=self.seed, seq=first.seq
            )
        ctx.decisions = RecordedDecisions(command)
        recorded = Command(EventKind(first.kind), first.payload, first.element_id, first.task_id)
        assert self.execution is not None
        try:
            outcome = commands.execute(self.execution, recorded, ctx)
        except Exception as exc:  # the recorded command cannot be executed again: history and engine disagree
            stop = divergence_in(exc)
            if stop is not None:
                raise Diverged(dataclasses.replace(stop, seq=stop.seq or first.seq)) from None
            message = exc.message if isinstance(exc, EmflowError) else str(exc)
            self._diverge(first.seq, "command_failed", f"{first.kind} could not be re-executed: {message}")
        if first.kind == EventKind.INSTANCE_STARTED and self.execution.semantics != self.record.semantics:
            self._mismatch(
                first.seq,
                "event_mismatch",
                f"instance_started names engine semantics {self.execution.semantics}, the instance row "
                f"{self.record.semantics}",
                self.execution.semantics,
                self.record.semantics,
            )
        if not outcome.changed_workflow:
            self._record_only(command)
            return
        produced = outcome.events + commands.linked_events(outcome.links, [None] * len(outcome.links))
        try:
            self._compare(command, produced)
            linked = [e for e in command if e.kind == EventKind.LINKED_INSTANCE_STARTED]
            for link, event in zip(outcome.links, linked, strict=False):
                self._check_link(event, link.data, first.at)
        except Diverged as mismatch:
            self.note(mismatch.divergence)
        self._note_ready(outcome)

    def _definition(self, first: StoredEvent) -> Any:
        """The definition version ``instance_started`` names (it must be the instance row's), and the seed."""
        payload = first.payload
        key, version = payload.get("definition_key"), payload.get("definition_version")
        try:
            info = self.replayer.definitions.get(str(key), int(version))  # type: ignore[arg-type]  # checked below
        except (NotFound, TypeError, ValueError):
            self._diverge(
                first.seq, "definition", f"definition {key} version {version} named by the history is not deployed"
            )
        if info.id != self.record.definition_id:
            self._mismatch(
                first.seq,
                "definition",
                f"the history names {key} version {version}, the instance row "
                f"{self.record.definition_key} version {self.record.definition_version}",
                f"{key} v{version}",
                f"{self.record.definition_key} v{self.record.definition_version}",
            )
        self.seed = payload.get("seed")
        if self.seed != self.record.seed:
            self._mismatch(
                first.seq,
                "event_mismatch",
                "the seed in instance_started differs from the instance row's: task ids cannot be reproduced",
                self.seed,
                self.record.seed,
            )
        return self.replayer.definitions.load(info.id)

    def _record_only(self, command: list[StoredEvent]) -> None:
        """Suspend, resume and claim change no workflow state: history holds nothing after them."""
        first = command[0]
        if len(command) > 1:
            extra = command[1]
            self._mismatch(
                extra.seq,
                "unexpected_event",
                f"{first.kind} changes no workflow state, yet the history has {extra.kind} "
                f"{extra.element_id or ''}".rstrip(),
                event_json(extra),
            )
        if first.kind == EventKind.TASK_CLAIMED:
            self.assignees[str(first.task_id)] = str(first.payload.get("assignee"))

    # ----------------------------------------------------------------------------------------- comparing
    def _compare(self, command: list[StoredEvent], produced: list[PendingEvent]) -> None:
        first, recorded = command[0], command[1:]
        for index in range(max(len(recorded), len(produced))):
            rec = recorded[index] if index < len(recorded) else None
            new = produced[index] if index < len(produced) else None
            if rec is None:
                assert new is not None
                seq = first.seq + 1 + index
                self._diverge(
                    seq,
                    "missing_event",
                    f"replay of {first.kind} (seq {first.seq}) produced "
                    f"{describe(new.kind, new.element_id)} as event {seq}, which the history lacks",
                    None,
                    pending_json(new),
                )
            elif new is None:
                self._diverge(
                    rec.seq,
                    "unexpected_event",
                    f"event {rec.seq} ({describe(rec.kind, rec.element_id)})"
                    f" was not produced by replaying {first.kind} (seq {first.seq})",
                    event_json(rec),
                )
            else:
                self._compare_event(rec, new)

    def _compare_event(self, rec: StoredEvent, new: PendingEvent) -> None:
        payload = json_safe(new.payload)
        if new.kind == "linked_instance_started":
            payload["instance_id"] = rec.payload.get("instance_id")
        for name, recorded, replayed in (
            ("kind", rec.kind, new.kind),
            ("element_id", rec.element_id, new.element_id),
            ("task_id", rec.task_id, new.task_id),
        ):
            if recorded != replayed:
                was, now = describe(rec.kind, rec.element_id), describe(new.kind, new.element_id)
                self._diverge(
                    rec.seq,
                    "event_mismatch",
                    f"event {rec.seq}: recorded {was}, replay produced {now} ({name} differs)",
                    event_json(rec),
                    pending_json(new),
                )
        if rec.payload != payload:
            path, recorded, replayed = first_difference(rec.payload, payload)
            kind = "decision" if rec.kind in ESCALATION_KINDS else "event_mismatch"
            self._diverge(
                rec.seq,
                kind,
                f"event {rec.seq} ({describe(rec.kind, rec.element_id)}): payload differs "
                f"at {path or '(root)'}: recorded {text(recorded)}, replay {text(replayed)}",
                rec.payload,
                payload,
            )

    def _check_link(self, event: StoredEvent, data: dict[str, Any], at: datetime) -> None:
        """The linked instance a command started is not started again: it must be the one that was asked for."""
        child_id: Any = event.payload.get("instance_id")  # a JSON value: _linked_row checks it
        found = self.replayer._linked_row(child_id)
        problem = None
        if found is None:
            problem = f"linked instance {child_id} announced at seq {event.seq} does not exist"
        else:
            row, started = found
            if row.parent_id != self.record.instance_id:
                problem = f"linked instance {child_id} has parent {row.parent_id}, not {self.record.instance_id}"
            elif row.business_key != self.record.business_key:
                problem = f"linked instance {child_id} has business key {row.business_key!r}"
            elif started is None or started.at != at or (started.payload or {}).get("data") != json_safe(data):
                problem = (
                    f"linked instance {child_id} was not started by this command with the data it passed "
                    f"(its first event: {None if started is None else started.at.isoformat()})"
                )
        if problem:
            self._diverge(event.seq, "linked_instance", problem, event_json(event), json_safe(data))
        self.linked.append(
            LinkedInstance(
                int(child_id),
                str(event.payload.get("definition_key")),
                event.payload.get("link_kind"),
                event.element_id,
                event.seq,
            )
        )

    def check_end(self) -> Divergence | None:
        """At the end of the history the stored rows must be exactly what replay produced."""
        workflow, record = (self.execution.workflow if self.execution else None), self.record
        if workflow is None:
            return Divergence(1, "command_failed", "the history has no instance_started")
        last = self.seq
        stored = json.loads(record.snapshot)
        replayed = json.loads(dump_workflow(workflow))
        if json.dumps(stored, sort_keys=True) != json.dumps(replayed, sort_keys=True):
            path, old, new = first_difference(stored, replayed)
            return Divergence(
                last,
                "snapshot",
                f"the stored snapshot differs from the replayed one at {path}: stored {text(old)}, replay {text(new)}",
                short(old),
                short(new),
            )
        if record.status != self.status:
            return Divergence(
                last,
                "status",
                f"the instance row says {record.status}, replay ends {self.status}",
                record.status,
                self.status,
            )
        data = data_of(workflow)
        if record.data != data:
            path, old, new = first_difference(record.data, data)
            return Divergence(
                last,
                "data",
                f"the instance row's data differs at {path}: stored {text(old)}, replay {text(new)}",
                record.data,
                data,
            )
        tasks, timers = self.replayer._projections(record.instance_id)
        rows = sorted((t.id, t.element_id, t.assignee, t.due_at) for t in tasks)
        ready = sorted((t.id, t.element_id, t.assignee, t.due_at) for t in self._ready_tasks())
        if rows != ready:
            return Divergence(
                last,
                "task_rows",
                "the READY task rows differ from the tasks replay leaves ready",
                json_safe(rows),
                json_safe(ready),
            )
        waiting = sorted((t.task_id, t.element_id, t.due_at) for t in timers)
        expected = sorted((tid, element, due) for tid, (element, due) in waiting_timers(workflow).items())
        if waiting != expected:
            return Divergence(
                last,
                "timer_rows",
                "the waiting timer rows differ from the timers replay leaves waiting",
                json_safe(waiting),
                json_safe(expected),
            )
        return None

    def _diverge(self, seq: int, kind: str, message: str, recorded: Any = None, replayed: Any = None) -> Any:
        """The command cannot be re-executed: replay ends here."""
        raise Diverged(Divergence(seq, kind, message, recorded, replayed))

    def _mismatch(self, seq: int, kind: str, message: str, recorded: Any = None, replayed: Any = None) -> None:
        """History and replay disagree, but the recorded command still runs: noted, and replay goes on."""
        self.note(Divergence(seq, kind, message, recorded, replayed))

    # ------------------------------------------------------------------------------------------- the state
    def _note_ready(self, outcome: Outcome) -> None:
        """When a user task became READY and its deadline then: what its task row was written with."""
        for row in outcome.tasks.new_rows:
            due = row["due_at"]  # in the diagram's zone, as SpiffWorkflow's clock class: made plain UTC
            self.ready_info[row["id"]] = (
                row["created_at"],
                None if due is None else datetime.fromisoformat(due.isoformat()).astimezone(UTC),
            )

    def _ready_tasks(self) -> list[ReplayTask]:
        execution = self.execution
        assert execution is not None and execution.workflow is not None
        out = []
        for task in ready_user_tasks(execution.workflow):
            lane, lane_name = execution.loaded.lane_of(task.element_id)
            created, due = self.ready_info.get(task.id, (self.at, None))
            out.append(
                ReplayTask(
                    task.id,
                    task.element_id,
                    task.name,
                    lane,
                    lane_name or task.lane,
                    self.assignees.get(task.id),
                    due,
                    created,  # type: ignore[arg-type]  # self.at is set once a command ran
                )
            )
        return sorted(out, key=lambda t: (t.created_at, t.id))

    def snapshot(self) -> str | None:
        """The replayed workflow exactly as the engine stores it (None before instance_started)."""
        if self.execution is None or self.execution.workflow is None:
            return None
        return dump_workflow(self.execution.workflow)

    def state(self) -> ReplayState:
        execution = self.execution
        assert execution is not None and execution.workflow is not None and self.at is not None
        data = data_of(execution.workflow)
        info = execution.loaded.info
        return ReplayState(
            self.record.instance_id,
            info.key,
            info.version,
            self.record.business_key,
            self.seq,
            self.at,
            self.status,
            data,
            self._ready_tasks(),
            data.get("escalation"),
            data.get("escalation_pending"),
            list(self.linked),
        )


# ------------------------------------------------------------------------------------------------- helpers
def _actor(event: StoredEvent) -> Actor:
    """Who ran the command; nothing in a workflow step depends on the role, only the name is recorded."""
    return Actor(event.actor or SYSTEM.name, Role.REPLAY)


__all__ = [
    "Divergence",
    "LinkedInstance",
    "RecordedDecisions",
    "ReplayDiverged",
    "ReplayResult",
    "ReplayState",
    "ReplayTask",
    "Replayer",
    "decisions_from_history",
    "first_difference",
]
