"""Keeping a long-lived workflow small: finished tasks that can no longer influence the run are spliced out.

SpiffWorkflow keeps every task it ever created; emflow prunes after every command so that the snapshot, and every
command's cost, stays flat however long an incident runs (docs/ARCHITECTURE.md, "Long-lived instances").
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

PRUNE_THRESHOLD = 0  # prune on every command: the snapshot always holds live state only


def prune_finished(workflow: BpmnWorkflow, threshold: int = PRUNE_THRESHOLD) -> int:
    """Drop the finished tasks that can no longer influence the run; returns how many were dropped.

    SpiffWorkflow keeps every task it ever created, so a loop makes the tree — and every command's cost — grow
    without bound, also inside one branch of a parallel region (hourly follow-up reports while the other four
    "firsts" wait at the join). What the engine still reads of finished tasks is kept:

    * the parent of every unfinished task (a task inherits its parent's data when it becomes ready; a join's
      parent tells which incoming flow arrived);
    * every ``…Split`` ancestor of an unfinished task (boundary-event and start-event joins look for them);
    * while a parallel/inclusive join still waits, its finished instances that are not ancestors of unfinished
      tasks, with their parents (branches that already arrived, and the data they bring). Once the join has
      fired they are dropped: SpiffWorkflow would otherwise count a previous loop round's arrivals again and
      fire the join of the next round early (seen in plan_revision's review-and-drill loop);
    * the root.

    Every other finished task is spliced out: kept tasks hang from their nearest kept ancestor, in tree order.
    The history table already holds what the dropped tasks did.
    """
    tasks = workflow.tasks
    if len(tasks) < threshold:
        return 0
    root = workflow.task_tree
    keep = {root.id}
    seen: set[Any] = set()
    for task in tasks.values():
        if task.state & TaskState.FINISHED_MASK:
            continue
        keep.add(task.id)
        node, is_parent = task.parent, True
        while node is not None:
            if is_parent:
                keep.add(node.id)
                is_parent = False
            if node.id in seen:
                break
            seen.add(node.id)
            if type(node.task_spec).__name__.endswith("Split"):
                keep.add(node.id)
            node = node.parent
    joining = {
        t.task_spec
        for t in tasks.values()
        if isinstance(t.task_spec, UnstructuredJoin) and t.state == TaskState.WAITING
    }
    for task in tasks.values():
        if task.task_spec in joining and task.state & TaskState.FINISHED_MASK and task.id not in seen:
            keep.add(task.id)
            if task.parent is not None:
                keep.add(task.parent.id)
    if len(keep) == len(tasks):
        return 0
    kept_children: dict[Any, list[Any]] = {tid: [] for tid in keep}
    new_parent: dict[Any, Any] = {}
    stack: list[tuple[Any, Any]] = [(root, None)]
    while stack:  # preorder, so children keep their order
        node, kept_ancestor = stack.pop()
        if node.id in keep:
            if kept_ancestor is not None:
                kept_children[kept_ancestor].append(node.id)
                new_parent[node.id] = kept_ancestor
            kept_ancestor = node.id
        stack.extend((child, kept_ancestor) for child in reversed(node.children))
    for tid in keep:
        task = tasks[tid]
        task._children = kept_children[tid]
        if tid != root.id:
            task._parent = new_parent[tid]
    dropped = len(tasks) - len(keep)
    workflow.tasks = {tid: task for tid, task in tasks.items() if tid in keep}
    if workflow.last_task is not None and workflow.last_task.id not in keep:
        workflow.last_task = None
    return dropped
