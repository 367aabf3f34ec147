// Instances (auditors and administrators): filter by process, status or incident number; each opens its timeline.
import { api, query } from '../api.js';
import { append, h } from '../dom.js';
import { t } from '../i18n.js';
import { formatTime, notice, toolbar } from '../ui.js';

const STATUSES = ['running', 'suspended', 'completed', 'cancelled'];

export async function instancesPage(main, { params, navigate }) {
  const instances = await api.get(`/instances${query({
    definition_key: params.definition_key, status: params.status, business_key: params.business_key, limit: 500,
  })}`);
  const keyInput = h('input', { id: 'filter-key', type: 'text', value: params.business_key || '', placeholder: t('instances.businessKey') });
  const statusSelect = h('select', { id: 'filter-status' }, h('option', { value: '' }, t('instances.anyStatus')),
    STATUSES.map((s) => h('option', { value: s, selected: params.status === s }, t(`status.${s}`))));
  const filter = () => navigate(`#/instances${query({ business_key: keyInput.value.trim(), status: statusSelect.value })}`);
  append(main, 
    h('h1', {}, t('instances.title')),
    toolbar(keyInput, statusSelect, h('button', { type: 'button', onclick: filter }, t('instances.filter'))),
    instances.length ? h('table', { class: 'instances', id: 'instances' },
      h('thead', {}, h('tr', {}, ['instances.id', 'instances.businessKey', 'instances.process', 'instances.status',
        'instances.created', 'instances.updated'].map((key) => h('th', {}, t(key))))),
      h('tbody', {}, [...instances].sort((a, b) => b.id - a.id).map((instance) => h('tr', { dataset: { instance: String(instance.id) } },
        h('td', {}, h('a', { href: `#/instance/${instance.id}` }, `#${instance.id}`)),
        h('td', {}, instance.business_key),
        h('td', {}, `${instance.definition_key} v${instance.definition_version}`),
        h('td', { class: `status-${instance.status}` }, t(`status.${instance.status}`, {}, instance.status)),
        h('td', {}, formatTime(instance.created_at)),
        h('td', {}, formatTime(instance.updated_at))))))
      : notice('ok', t('instances.empty')),
  );
}
