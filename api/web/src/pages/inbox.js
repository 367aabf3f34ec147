// Inbox (responders): the READY tasks of the user's lanes, most urgent first — overdue work, then immediate work
// (the five firsts, an immediate report: 立即 with the time elapsed since the incident was recorded), then by
// deadline — each with a live countdown to its deadline; overdue tasks are marked. A task opens its task page. The
// list is fetched again every REFRESH_MS, since other people's work puts new tasks into it.
import { api } from '../api.js';
import { append, h } from '../dom.js';
import { t } from '../i18n.js';
import { formatTime, notice, tickCountdowns, timeLimit } from '../ui.js';

const REFRESH_MS = 30_000;

/**
 * Most urgent first, as the server lists them: overdue, then immediate (those with a due time first, then the
 * longest waiting), then the earliest deadline (tasks without one last), then the oldest.
 */
export function byUrgency(a, b) {
  const group = (task) => (task.overdue ? 0 : task.immediate ? 1 : 2);
  const time = (value) => (value ? Date.parse(value) : Infinity);
  const order = (x, y) => (x === y ? 0 : x < y ? -1 : 1); // Infinity - Infinity is NaN, not 0
  return (group(a) - group(b)) || order(time(a.due_at), time(b.due_at))
    || order(time(a.immediate_since), time(b.immediate_since)) || order(time(a.created_at), time(b.created_at));
}

function taskTable(tasks, highlight) {
  if (!tasks.length) return notice('ok', t('inbox.empty'));
  return h('table', { class: 'inbox', id: 'inbox' },
    h('thead', {}, h('tr', {}, ['inbox.task', 'inbox.incident', 'inbox.lane', 'inbox.deadline', 'inbox.created']
      .map((key) => h('th', {}, t(key))))),
    h('tbody', {}, tasks.map((task) => h('tr', {
      class: `task-row${task.overdue ? ' overdue' : ''}${task.immediate ? ' immediate' : ''}`
        + `${String(task.instance_id) === highlight ? ' highlight' : ''}`,
      dataset: { task: task.id, element: task.element_id, instance: String(task.instance_id) },
    },
    h('td', {}, h('a', { href: `#/task/${encodeURIComponent(task.id)}` }, task.name || task.element_id)),
    h('td', {}, `#${task.instance_id}`),
    h('td', {}, task.lane_name || task.lane || '—'),
    h('td', {}, ...timeLimit(task), task.due_at ? h('small', {}, ` ${formatTime(task.due_at)}`) : null),
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
