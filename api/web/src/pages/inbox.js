// Inbox (responders): the READY tasks of the user's lanes, most urgent deadline first, each with a live
// countdown to its deadline; overdue tasks are marked. A task opens its task page. The list is fetched again
// every REFRESH_MS, since other people's work puts new tasks into it.
import { api } from '../api.js';
import { append, h } from '../dom.js';
import { t } from '../i18n.js';
import { countdown, formatTime, notice, tickCountdowns } from '../ui.js';

const REFRESH_MS = 30_000;

/** Most urgent first: overdue, then the earliest deadline (tasks without one last), then the oldest. */
export function byUrgency(a, b) {
  const due = (task) => (task.due_at ? Date.parse(task.due_at) : Infinity);
  return (b.overdue - a.overdue) || (due(a) - due(b)) || (Date.parse(a.created_at) - Date.parse(b.created_at));
}

function taskTable(tasks, highlight) {
  if (!tasks.length) return notice('ok', t('inbox.empty'));
  return h('table', { class: 'inbox', id: 'inbox' },
    h('thead', {}, h('tr', {}, ['inbox.task', 'inbox.incident', 'inbox.lane', 'inbox.deadline', 'inbox.created']
      .map((key) => h('th', {}, t(key))))),
    h('tbody', {}, tasks.map((task) => h('tr', {
      class: `task-row${task.overdue ? ' overdue' : ''}${String(task.instance_id) === highlight ? ' highlight' : ''}`,
      dataset: { task: task.id, element: task.element_id, instance: String(task.instance_id) },
    },
    h('td', {}, h('a', { href: `#/task/${encodeURIComponent(task.id)}` }, task.name || task.element_id)),
    h('td', {}, `#${task.instance_id}`),
    h('td', {}, task.lane_name || task.lane || '—'),
    h('td', {}, countdown(task.due_at, task.overdue), task.due_at ? h('small', {}, ` ${formatTime(task.due_at)}`) : null),
    h('td', {}, formatTime(task.created_at))))));
}

export async function inboxPage(main, { params, user }) {
  const flash = sessionStorage.getItem('emflow.flash');
  sessionStorage.removeItem('emflow.flash');
  let table = taskTable((await api.get('/tasks')).sort(byUrgency), params.instance);
  append(main,
    h('h1', {}, t('inbox.title')),
    h('p', { class: 'hint' }, t('inbox.lanes', { lanes: user.lanes.join(', ') || '—' })),
    flash ? notice('ok', flash) : null,
    table);
  const refresh = setInterval(async () => {
    if (document.visibilityState !== 'visible') return;
    try {
      const fresh = taskTable((await api.get('/tasks')).sort(byUrgency), params.instance);
      table.replaceWith(fresh);
      table = fresh;
    } catch {
      // keep showing the last list; the next refresh tries again
    }
  }, REFRESH_MS);
  const stopTicking = tickCountdowns(main);
  return () => {
    clearInterval(refresh);
    stopTicking();
  };
}
