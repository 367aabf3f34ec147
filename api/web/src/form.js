// A task's form, rendered from the `form` of the API's task (camunda:formData: string, long, double, boolean,
// date, enum; required; Chinese labels; a `multiline` string is a textarea, a `multiple` enum a group of
// checkboxes whose value is the list of ticked option ids), its values collected for POST /tasks/<id>/complete,
// and the API's 422 errors (details keyed by field id) shown next to their fields.
import { h } from './dom.js';
import { serverMessage, t } from './i18n.js';

export function renderForm(fields, values = {}) {
  return h('div', { class: 'fields' }, fields.map((field) => renderField(field, values[field.id])));
}

function renderField(field, value) {
  const id = `field-${field.id}`;
  const input = inputFor(field, id, value ?? null);
  // a group of checkboxes is named by its label (aria-labelledby), not labelled `for` one control
  const label = h('label', field.multiple ? { id: `${id}-label` } : { for: id }, field.label,
    field.required ? h('span', { class: 'required', title: t('form.required') }, ' *') : null);
  const extra = field.type === 'date' && !field.readonly ? h('button', {
    type: 'button', class: 'link now', onclick: () => { input.value = localDateTime(new Date()); },
  }, t('form.now')) : null;
  const kind = field.multiple ? 'multiple' : field.multiline ? 'multiline' : field.type;
  return h('div', { class: `field field-${kind}`, dataset: { field: field.id } },
    label, h('div', { class: 'control' }, input, extra), h('div', { class: 'field-error', id: `${id}-error` }));
}

function inputFor(field, id, value) {
  const common = { id, name: field.id, disabled: field.readonly, 'aria-describedby': `${id}-error` };
  switch (field.type) {
    case 'boolean':
      return h('select', common, h('option', { value: '' }, t('form.choose')),
        h('option', { value: 'true', selected: value === true }, t('form.yes')),
        h('option', { value: 'false', selected: value === false }, t('form.no')));
    case 'enum':
      if (field.multiple) return checkboxes(field, id, Array.isArray(value) ? value : []);
      return h('select', common, h('option', { value: '' }, t('form.choose')),
        field.enum.map((option) => h('option', { value: option.id, selected: value === option.id }, option.name)));
    case 'long':
    case 'double':
      return h('input', {
        ...common, type: 'number', step: field.type === 'long' ? '1' : 'any', inputmode: 'decimal',
        min: field.constraints?.min, max: field.constraints?.max, value: typeof value === 'number' ? String(value) : '',
      });
    case 'date':
      return h('input', { ...common, type: 'datetime-local', step: '1', value: typeof value === 'string' ? localDateTime(new Date(value)) : '' });
    default:
      if (field.multiline) {
        return h('textarea', { // the text is the textarea's content: a value attribute would show nothing
          ...common, rows: 4, minlength: field.constraints?.minlength, maxlength: field.constraints?.maxlength,
        }, typeof value === 'string' ? value : '');
      }
      return h('input', {
        ...common, type: 'text', value: typeof value === 'string' ? value : '',
        minlength: field.constraints?.minlength, maxlength: field.constraints?.maxlength,
      });
  }
}

/** A multiple choice: one checkbox per option (id `field-<field>-<option>`), those in `chosen` ticked. */
function checkboxes(field, id, chosen) {
  return h('div', { class: 'choices', id, role: 'group', 'aria-labelledby': `${id}-label`, 'aria-describedby': `${id}-error` },
    field.enum.map((option) => h('label', { class: 'choice' },
      h('input', {
        type: 'checkbox', id: `${id}-${option.id}`, name: field.id, value: option.id,
        checked: chosen.includes(option.id), disabled: field.readonly,
      }),
      ' ', option.name)));
}

/** The entered values, typed as the API expects; empty fields are left out (the API names the required ones). */
export function collectValues(fields, root) {
  const data = {};
  for (const field of fields) {
    if (field.readonly) continue;
    if (field.multiple) { // always sent: none ticked is an answer, or the API says at least one is required
      data[field.id] = [...root.querySelectorAll(`input[name="${CSS.escape(field.id)}"]:checked`)].map((box) => box.value);
      continue;
    }
    const raw = root.querySelector(`[name="${CSS.escape(field.id)}"]`).value.trim();
    if (raw === '') continue;
    data[field.id] = typed(field, raw);
  }
  return data;
}

function typed(field, raw) {
  switch (field.type) {
    case 'boolean': return raw === 'true';
    case 'long': return /^-?\d+$/.test(raw) ? Number(raw) : raw; // not an integer: the API says so
    case 'double': return Number.isFinite(Number(raw)) ? Number(raw) : raw;
    case 'date': return isoWithOffset(new Date(raw));
    default: return raw;
  }
}

/** Show the API's errors next to their fields; returns the errors that name no field of the form. */
export function showErrors(fields, root, details) {
  root.querySelectorAll('.field-error').forEach((el) => { el.textContent = ''; });
  root.querySelectorAll('.field.invalid').forEach((el) => el.classList.remove('invalid'));
  const known = new Set(fields.map((f) => f.id));
  const rest = {};
  for (const [key, message] of Object.entries(details || {})) {
    const text = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : JSON.stringify(message);
    if (known.has(key)) {
      root.querySelector(`#field-${CSS.escape(key)}-error`).textContent = serverMessage(text);
      root.querySelector(`[data-field="${CSS.escape(key)}"]`).classList.add('invalid');
    } else {
      rest[key] = text;
    }
  }
  return rest;
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** "2026-04-14T09:05:00" in the browser's time zone, the value a datetime-local input shows. */
export function localDateTime(date) {
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** ISO 8601 with the browser's UTC offset ("2026-04-14T09:05:00+08:00"): the moment is never ambiguous. */
export function isoWithOffset(date) {
  if (Number.isNaN(date.getTime())) return '';
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return `${localDateTime(date)}${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}
