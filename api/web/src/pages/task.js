// A task (responders): its form, the incident it belongs to (the instance's data) and the escalation decision
// with its reasons; completing it posts the form, and the API's errors appear next to their fields.
import { api, ApiError, query } from '../api.js';
import { formVocabulary } from '../bpmn/forms.js';
import { append, h } from '../dom.js';
import { t } from '../i18n.js';
import { collectValues, renderForm, showErrors } from '../form.js';
import { errorText, formatTime, notice, tickCountdowns, timeLimit } from '../ui.js';
import { escalationPanel } from './escalation.js';

export async function taskPage(main, { args, navigate }) {
  const task = await api.get(`/tasks/${encodeURIComponent(args[0])}`);
  const instance = await api.get(`/instances/${task.instance_id}`);
  const vocabulary = formVocabulary(await api.get(
    `/definitions/${encodeURIComponent(instance.definition_key)}/xml${query({ version: instance.definition_version })}`));
  const status = h('div', { class: 'status', id: 'task-status' });
  const form = h('form', { class: 'task-form card', id: 'task-form', novalidate: true },
    h('h2', {}, t('task.form')),
    task.form.length ? renderForm(task.form, instance.data) : h('p', { class: 'hint' }, t('task.noForm')),
    status,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'complete', disabled: task.state !== 'READY' }, t('task.complete')),
      h('a', { href: '#/inbox' }, t('task.back'))));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.replaceChildren();
    const button = form.querySelector('#complete');
    button.disabled = true;
    try {
      await api.post(`/tasks/${encodeURIComponent(task.id)}/complete`, { json: { data: collectValues(task.form, form) } });
      sessionStorage.setItem('emflow.flash', t('task.completed', { name: task.name || task.element_id }));
      navigate(`#/inbox?instance=${task.instance_id}`);
    } catch (error) {
      button.disabled = false;
      if (error instanceof ApiError && error.status === 422 && error.details && typeof error.details === 'object') {
        const details = error.details.data && typeof error.details.data === 'object' ? error.details.data : error.details;
        const rest = showErrors(task.form, form, details);
        status.append(notice('error', t('task.invalid')));
        for (const [key, message] of Object.entries(rest)) status.append(notice('error', `${key}: ${message}`));
      } else {
        status.append(notice('error', errorText(error)));
      }
    }
  });

  append(main, 
    h('h1', {}, task.name || task.element_id),
    h('p', { class: 'task-meta' },
      t('task.lane', { lane: task.lane_name || task.lane || '—' }), ' · ',
      t('task.deadline'), ' ', ...timeLimit(task),
      task.due_at ? ` (${formatTime(task.due_at)})` : '', ' · ',
      h('code', {}, task.element_id)),
    h('div', { class: 'task-layout' },
      form,
      h('aside', {},
        escalationPanel(instance.data.escalation, instance.data.escalation_pending),
        incidentPanel(instance, vocabulary))),
  );
  return tickCountdowns(main);
}

function incidentPanel(instance, { labels, options }) {
  const hidden = new Set(['escalation', 'escalation_pending', 'latest_situation']);
  const rows = Object.entries(instance.data).filter(([key]) => !hidden.has(key));
  return h('section', { class: 'card incident', id: 'incident' },
    h('h2', {}, t('incident.title')),
    h('dl', {},
      h('dt', {}, t('incident.businessKey')), h('dd', {}, instance.business_key),
      h('dt', {}, t('incident.process')), h('dd', {}, `${instance.definition_key} v${instance.definition_version}`),
      h('dt', {}, t('incident.status')), h('dd', {}, t(`status.${instance.status}`)),
      h('dt', {}, t('incident.started')), h('dd', {}, formatTime(instance.created_at)),
      rows.map(([key, value]) => [h('dt', { title: key }, labels.get(key) || t(`data.${key}`, {}, key)),
        h('dd', { dataset: { key } }, display(value, options.get(key)))])));
}

/** A datum as people read it: enum values by their names (a multiple choice's joined by 、), yes/no, times in
 * local time. */
function display(value, names) {
  if (value === true) return t('form.yes');
  if (value === false) return t('form.no');
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value) && value.length && value.every((v) => typeof v === 'string' && names?.has(v))) {
    return value.map((v) => names.get(v)).join('、');
  }
  if (typeof value === 'object') return JSON.stringify(value);
  if (names && names.has(String(value))) return names.get(String(value));
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value)) return formatTime(value);
  return String(value);
}
