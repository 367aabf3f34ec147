"""Immediate work and deadlines a decision may or may not set (docs/DECISIONS.md D17, D21).

* A user task marked ``immediate`` by its ``camunda:property`` (a condition on the task's data) is shown as
  immediate, with the moment its ``immediate_since`` expression gives (else the moment it became ready).
* A boundary timer whose ``timeDate`` evaluates to None has no date: it never fires and gives its task no deadline
  (``engine.bpmn.patches``: timer_without_date); with a date it is an ordinary deadline.
* A property that cannot be evaluated fails the command naming the element; one whose code the sandbox refuses does
  not deploy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.clock import FixedClock
from engine.definitions import validation
from engine.errors import DefinitionInvalid, ProcessError
from engine.services import build_services
from engine.store.models import Timer

OFFICE = Actor("office", "responder", ("emergency_office",))
LEADER = Actor("leader", "responder", ("leader",))
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 China Standard Time

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="Definitions_firsts" targetNamespace="http://emflow.example/bpmn">
  <bpmn:process id="firsts" name="第一时间 (test)" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="emergency_office" name="应急办">
        <bpmn:flowNodeRef>Start_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Split_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_Dispatch</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Timer_Target</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_Monitor</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_Ordinary</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Join_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>End_1</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="leader" name="带班领导">
        <bpmn:flowNodeRef>Task_Escalate</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>End_Escalated</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="Start_1"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="Split_1">
      <bpmn:incoming>F1</bpmn:incoming>
      <bpmn:outgoing>F2</bpmn:outgoing><bpmn:outgoing>F3</bpmn:outgoing><bpmn:outgoing>F4</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:userTask id="Task_Dispatch" name="派员赶赴现场">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="immediate" value="urgent" />
          <camunda:property name="immediate_since" value="recorded_at" />
        </camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F5</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="Timer_Target" name="目标时限" attachedToRef="Task_Dispatch" cancelActivity="false">
      <bpmn:outgoing>F8</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerDef_1">
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">targets.get('dispatch')</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="Task_Monitor" name="制定监测方案">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="immediate" value="True" />
        </camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>F3</bpmn:incoming><bpmn:outgoing>F6</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="Task_Ordinary" name="报送监测结果">
      <bpmn:incoming>F4</bpmn:incoming><bpmn:outgoing>F7</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:parallelGateway id="Join_1">
      <bpmn:incoming>F5</bpmn:incoming><bpmn:incoming>F6</bpmn:incoming><bpmn:incoming>F7</bpmn:incoming>
      <bpmn:outgoing>F9</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:endEvent id="End_1"><bpmn:incoming>F9</bpmn:incoming></bpmn:endEvent>
    <bpmn:userTask id="Task_Escalate" name="超时督办">
      <bpmn:incoming>F8</bpmn:incoming><bpmn:outgoing>F10</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="End_Escalated"><bpmn:incoming>F10</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Start_1" targetRef="Split_1" />
    <bpmn:sequenceFlow id="F2" sourceRef="Split_1" targetRef="Task_Dispatch" />
    <bpmn:sequenceFlow id="F3" sourceRef="Split_1" targetRef="Task_Monitor" />
    <bpmn:sequenceFlow id="F4" sourceRef="Split_1" targetRef="Task_Ordinary" />
    <bpmn:sequenceFlow id="F5" sourceRef="Task_Dispatch" targetRef="Join_1" />
    <bpmn:sequenceFlow id="F6" sourceRef="Task_Monitor" targetRef="Join_1" />
    <bpmn:sequenceFlow id="F7" sourceRef="Task_Ordinary" targetRef="Join_1" />
    <bpmn:sequenceFlow id="F8" sourceRef="Timer_Target" targetRef="Task_Escalate" />
    <bpmn:sequenceFlow id="F9" sourceRef="Join_1" targetRef="End_1" />
    <bpmn:sequenceFlow id="F10" sourceRef="Task_Escalate" targetRef="End_Escalated" />
  </bpmn:process>
</bpmn:definitions>
"""
RECORDED = "2026-03-02T08:50:00+08:00"  # ten minutes before T0


@pytest.fixture
def env(database_url):
    clock = FixedClock(T0)
    services = build_services(database_url, clock=clock)
    services.definitions.deploy(DIAGRAM.encode(), "test")
    yield services, clock
    services.close()


def _start(services, key, **data):
    started = services.instances.start("firsts", key, {"urgent": True, "recorded_at": RECORDED, **data}, OFFICE)
    tasks = services.instances.list_tasks(instance_id=started.instance_id)
    return started.instance_id, {t.element_id: t for t in tasks}


def _timers(services, instance_id):
    table = Timer.__table__
    with services.db.connect() as conn:
        return conn.execute(select(table).where(table.c.instance_id == instance_id)).all()


def test_immediate_tasks_carry_the_moment_their_clock_started(env):
    services, _clock = env
    _iid, tasks = _start(services, "INC-1", targets={})
    dispatch, monitor, ordinary = tasks["Task_Dispatch"], tasks["Task_Monitor"], tasks["Task_Ordinary"]
    assert dispatch.immediate is True and dispatch.immediate_since == datetime(2026, 3, 2, 0, 50, tzinfo=UTC)
    assert monitor.immediate is True and monitor.immediate_since == T0  # no expression: since it became ready
    assert (ordinary.immediate, ordinary.immediate_since) == (False, None)

    _iid, tasks = _start(services, "INC-2", targets={}, urgent=False)  # the condition is the diagram's to state
    assert (tasks["Task_Dispatch"].immediate, tasks["Task_Dispatch"].immediate_since) == (False, None)


def test_a_timer_without_a_date_never_fires_and_sets_no_deadline(env):
    services, clock = env
    iid, tasks = _start(services, "INC-3", targets={})
    assert tasks["Task_Dispatch"].due_at is None and tasks["Task_Dispatch"].overdue is False
    assert _timers(services, iid) == []
    clock.advance(days=30)
    assert services.timers.run_due() == 0
    done = services.instances.complete_task(tasks["Task_Dispatch"].id, {}, OFFICE)
    assert [e for e in services.instances.history(iid) if e["kind"] == "timer_fired"] == []
    assert "Task_Escalate" not in [element for _id, element in done.ready_tasks]


def test_a_timer_with_a_date_is_an_ordinary_deadline(env):
    services, clock = env
    due = T0 + timedelta(minutes=120)
    iid, tasks = _start(services, "INC-4", targets={"dispatch": due.isoformat()})
    assert tasks["Task_Dispatch"].due_at == due
    [timer] = _timers(services, iid)
    assert (timer.element_id, timer.due_at, timer.fired_at) == ("Timer_Target", due, None)
    clock.set(due + timedelta(minutes=1))
    assert services.timers.run_due() == 1
    ready = {t.element_id: t for t in services.instances.list_tasks(instance_id=iid)}
    assert ready["Task_Dispatch"].overdue is True and "Task_Escalate" in ready
    # overdue work is listed first, immediate work next, then the rest (without deadlines: the oldest first)
    assert [t.element_id for t in services.instances.list_tasks(instance_id=iid)] == [
        "Task_Dispatch",
        "Task_Monitor",
        "Task_Ordinary",
        "Task_Escalate",
    ]


def test_a_property_that_cannot_be_evaluated_fails_the_command_naming_the_element(env):
    services, _clock = env
    with pytest.raises(ProcessError) as raised:
        services.instances.start("firsts", "INC-5", {"recorded_at": RECORDED, "targets": {}}, OFFICE)
    assert raised.value.details["element_id"] == "Task_Dispatch" and "immediate" in raised.value.message
    with pytest.raises(ProcessError) as raised:
        services.instances.start("firsts", "INC-6", {"urgent": True, "recorded_at": "soon", "targets": {}}, OFFICE)
    assert raised.value.details["element_id"] == "Task_Dispatch" and "ISO 8601" in raised.value.message
    # no moment known: the clock starts when the task became ready
    _iid, tasks = _start(services, "INC-7", targets={}, recorded_at=None)
    assert tasks["Task_Dispatch"].immediate is True and tasks["Task_Dispatch"].immediate_since == T0


def test_property_code_goes_through_the_sandbox_at_deploy(env):
    services, _clock = env
    bad = DIAGRAM.replace('value="urgent"', "value=\"__import__('os').system('id')\"")
    problems = validation.check(bad.encode())
    assert [(p.element_id, p.code) for p in problems] == [("Task_Dispatch", "forbidden_expression")]
    with pytest.raises(DefinitionInvalid):
        services.definitions.deploy(bad.encode(), "test")
    broken = DIAGRAM.replace('value="recorded_at"', 'value="recorded_at +"')
    assert [(p.element_id, p.code) for p in validation.check(broken.encode())] == [
        ("Task_Dispatch", "expression_syntax")
    ]
    # on anything but a user task the engine ignores the property: the modeller is told so
    misplaced = DIAGRAM.replace(
        '<bpmn:parallelGateway id="Split_1">',
        '<bpmn:parallelGateway id="Split_1"><bpmn:extensionElements><camunda:properties>'
        '<camunda:property name="immediate" value="True" /></camunda:properties></bpmn:extensionElements>',
    )
    problems = validation.check(misplaced.encode(), include_warnings=True)
    warnings = [(p.element_id, p.severity) for p in problems if p.code == "misplaced_property"]
    assert warnings == [("Split_1", "warning")]
