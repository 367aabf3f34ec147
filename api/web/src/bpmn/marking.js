// What the diagram shows of an instance at one point of its history: each element completed, active or
// cancelled (from the task_state events up to that point), and overdue (an active task past its deadline, or a
// deadline timer that fired).
export const STATE_MARKERS = ['emf-completed', 'emf-active', 'emf-overdue', 'emf-cancelled'];
const ACTIVE = new Set(['READY', 'WAITING', 'STARTED']);

/** element id → 'completed' | 'active' | 'cancelled', from the history events with seq ≤ `seq`. */
export function elementStates(events, seq) {
  const tasks = new Map(); // task id (or element id) → {element, state}
  for (const event of events) {
    if (event.seq > seq) break;
    if (event.kind !== 'task_state' || !event.element_id) continue;
    const to = event.payload && event.payload.to;
    const state = ACTIVE.has(to) ? 'active' : to === 'COMPLETED' ? 'completed' : to === 'CANCELLED' ? 'cancelled' : null;
    if (state) tasks.set(event.task_id || event.element_id, { element: event.element_id, state });
  }
  const byElement = new Map();
  const rank = { active: 3, completed: 2, cancelled: 1 };
  for (const { element, state } of tasks.values()) {
    if (!byElement.has(element) || rank[state] > rank[byElement.get(element)]) byElement.set(element, state);
  }
  return byElement;
}

/**
 * The markers (element id → class) at one point: `readyTasks` are the tasks ready then (with due_at), `at` the
 * moment the deadlines are measured against, `isDeadlineTimer(id)` says whether a completed element is a timer
 * whose firing means a deadline passed.
 */
export function markersAt(events, seq, readyTasks, at, isDeadlineTimer) {
  const marks = {};
  for (const [element, state] of elementStates(events, seq)) {
    marks[element] = state === 'completed' && isDeadlineTimer(element) ? 'emf-overdue' : `emf-${state}`;
  }
  for (const task of readyTasks) {
    const late = task.overdue || (task.due_at && Date.parse(task.due_at) <= at);
    marks[task.element_id] = late ? 'emf-overdue' : 'emf-active';
  }
  return marks;
}
