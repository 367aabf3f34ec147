// Start an instance (administrators and responders): a definition, the incident number (business key) and the
// first information as JSON. A responder then goes to the inbox; an administrator sees the new instance.
import { api, query } from '../api.js';
import { append, h } from '../dom.js';
import { t } from '../i18n.js';
import { errorText, notice } from '../ui.js';
import { definitionVersions, keyOptions } from './definitions.js';

export async function startPage(main, { params, user, navigate }) {
  const byKey = definitionVersions(await api.get(`/definitions${query({ all_versions: true })}`));
  const keySelect = h('select', { id: 'start-key', name: 'definition_key' }, keyOptions(byKey));
  if (params.key && byKey.has(params.key)) keySelect.value = params.key;
  const businessKey = h('input', { id: 'business-key', name: 'business_key', type: 'text', required: true, value: defaultBusinessKey() });
  const data = h('textarea', { id: 'start-data', name: 'data', rows: 8, spellcheck: 'false' }, '{}');
  const status = h('div', { class: 'status', id: 'start-status' });
  const form = h('form', { class: 'card start-form', id: 'start-form', novalidate: true },
    h('h1', {}, t('start.title')),
    h('label', { for: 'start-key' }, t('start.definition')), keySelect,
    h('label', { for: 'business-key' }, t('start.businessKey')), businessKey,
    h('label', { for: 'start-data' }, t('start.data')), data,
    h('p', { class: 'hint' }, t('start.dataHint')),
    h('button', { type: 'submit', class: 'primary', id: 'start-submit' }, t('start.submit')),
    status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.replaceChildren();
    let parsed;
    try {
      parsed = JSON.parse(data.value || '{}');
    } catch {
      status.append(notice('error', t('start.badJson')));
      return;
    }
    try {
      const instance = await api.post('/instances', {
        json: { definition_key: keySelect.value, business_key: businessKey.value.trim(), data: parsed },
      });
      const message = t('start.started', { id: instance.id, key: instance.definition_key, version: instance.definition_version });
      if (user.role === 'responder') {
        sessionStorage.setItem('emflow.flash', message);
        navigate(`#/inbox?instance=${instance.id}`);
      } else {
        status.append(notice('ok', message), h('p', {}, h('a', { href: `#/instance/${instance.id}`, id: 'started-link' },
          t('start.open', { id: instance.id }))));
      }
    } catch (error) {
      status.append(notice('error', errorText(error)));
      if (error.details && typeof error.details === 'object') status.append(h('pre', {}, JSON.stringify(error.details, null, 2)));
    }
  });
  append(main, form);
}

function defaultBusinessKey(now = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  return `INC-${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
}
