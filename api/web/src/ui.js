// Small pieces shared by the pages: error text, notices, times and countdowns.
import { ApiError } from './api.js';
import { h } from './dom.js';
import { language, t } from './i18n.js';

export function errorText(error) {
  if (error instanceof ApiError) return `${t('error.api', { status: error.status })} ${error.message}`;
  return String(error && error.message ? error.message : error);
}

export function notice(kind, text) {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(language() === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
}

/** "1天 02:03:04" / "1d 02:03:04": the length of a duration in milliseconds. */
export function formatDuration(ms) {
  const total = Math.floor(Math.abs(ms) / 1000);
  const days = Math.floor(total / 86400);
  const pad = (n) => String(n).padStart(2, '0');
  const clock = `${pad(Math.floor((total % 86400) / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
  return days ? `${t('time.days', { n: days })} ${clock}` : clock;
}

/** A live countdown to `due` (ISO); `overdue` from the server marks it overdue even before the clock says so. */
export function countdown(due, overdue = false) {
  const el = h('span', { class: 'countdown', dataset: { due: due || '', overdue: overdue ? '1' : '' } });
  updateCountdown(el, Date.now());
  return el;
}

export function updateCountdown(el, now) {
  const due = el.dataset.due ? Date.parse(el.dataset.due) : NaN;
  if (Number.isNaN(due)) {
    el.textContent = t('task.noDeadline');
    el.classList.remove('overdue');
    return;
  }
  const late = now >= due || el.dataset.overdue === '1';
  el.classList.toggle('overdue', late);
  el.textContent = late
    ? t('task.overdueBy', { d: formatDuration(now - due) })
    : t('task.dueIn', { d: formatDuration(due - now) });
}

/** The live time elapsed since `since` (ISO), e.g. since the incident was recorded. */
export function elapsed(since) {
  const el = h('span', { class: 'elapsed', dataset: { since: since || '' } });
  updateElapsed(el, Date.now());
  return el;
}

export function updateElapsed(el, now) {
  const since = el.dataset.since ? Date.parse(el.dataset.since) : NaN;
  el.textContent = Number.isNaN(since) ? '' : t('task.elapsed', { d: formatDuration(Math.max(0, now - since)) });
}

/**
 * A task's time limit as people read it. Work to be done at the first moment (the five firsts, an immediate
 * report: `task.immediate`) has no deadline of its own yet is the most urgent there is, so it is never shown as
 * "no time limit": it reads 立即 with the time elapsed since its clock started, plus the countdown when a target
 * or grace gives it a due time. Other tasks show their countdown, or that they have no time limit.
 */
export function timeLimit(task) {
  const parts = [];
  if (task.immediate) {
    parts.push(h('strong', { class: 'immediate-badge' }, t('task.immediate')), ' ', elapsed(task.immediate_since));
    if (task.due_at) parts.push(' · ');
  }
  if (task.due_at || !task.immediate) parts.push(countdown(task.due_at, task.overdue));
  return parts;
}

/** Ticks every countdown and elapsed time on the page once a second; returns the function that stops it. */
export function tickCountdowns(root) {
  const timer = setInterval(() => {
    const now = Date.now();
    root.querySelectorAll('.countdown').forEach((el) => updateCountdown(el, now));
    root.querySelectorAll('.elapsed').forEach((el) => updateElapsed(el, now));
  }, 1000);
  return () => clearInterval(timer);
}

/** Several children in one row of a toolbar. */
export function toolbar(...children) {
  return h('div', { class: 'toolbar' }, ...children);
}
