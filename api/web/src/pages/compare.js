// Compare two versions of a definition (administrators): both diagrams side by side, elements added (green),
// removed (red) and changed (orange) marked on them and listed below.
import { api, query } from '../api.js';
import { append, h } from '../dom.js';
import { t } from '../i18n.js';
import { diffElements } from '../bpmn/diff.js';
import { createViewer, setMarkers, show } from '../bpmn/modeler.js';
import { errorText, notice, toolbar } from '../ui.js';
import { definitionVersions, fillVersionSelect, keyOptions } from './definitions.js';

const MARKERS = ['emf-added', 'emf-removed', 'emf-changed'];

export async function comparePage(main, { params, navigate }) {
  const byKey = definitionVersions(await api.get(`/definitions${query({ all_versions: true })}`));
  const keySelect = h('select', { id: 'compare-key' }, keyOptions(byKey));
  const leftSelect = h('select', { id: 'compare-a' });
  const rightSelect = h('select', { id: 'compare-b' });
  const leftEl = h('div', { class: 'canvas', id: 'compare-left' });
  const rightEl = h('div', { class: 'canvas', id: 'compare-right' });
  const leftTitle = h('h2', {});
  const rightTitle = h('h2', {});
  const result = h('div', { id: 'compare-result' });
  const left = createViewer(leftEl);
  const right = createViewer(rightEl);

  const fill = () => {
    const versions = byKey.get(keySelect.value) || [];
    const newest = versions.length ? versions[versions.length - 1].version : undefined;
    fillVersionSelect(leftSelect, versions, Number(params.a) || Math.max(1, (newest || 1) - 1));
    fillVersionSelect(rightSelect, versions, Number(params.b) || newest);
  };

  async function compare() {
    const key = keySelect.value;
    const [a, b] = [Number(leftSelect.value), Number(rightSelect.value)];
    const xml = (v) => api.get(`/definitions/${encodeURIComponent(key)}/xml${query({ version: v })}`);
    const [oldXml, newXml] = await Promise.all([xml(a), xml(b)]);
    await Promise.all([show(left, oldXml), show(right, newXml)]);
    leftTitle.textContent = t('editor.versionOf', { key, version: a });
    rightTitle.textContent = t('editor.versionOf', { key, version: b });
    const changes = diffElements(oldXml, newXml);
    const marks = (kinds) => Object.fromEntries(changes.filter((c) => kinds.includes(c.change))
      .map((c) => [c.id, `emf-${c.change}`]));
    setMarkers(left, marks(['removed', 'changed']), MARKERS);
    setMarkers(right, marks(['added', 'changed']), MARKERS);
    result.replaceChildren(changes.length
      ? h('table', { class: 'diff' },
        h('thead', {}, h('tr', {}, h('th', {}, t('compare.change')), h('th', {}, t('compare.element')),
          h('th', {}, t('compare.type')), h('th', {}, t('compare.name')))),
        h('tbody', {}, changes.map((c) => h('tr', { class: `diff-${c.change}`, dataset: { element: c.id } },
          h('td', {}, t(`compare.${c.change}`)), h('td', {}, h('code', {}, c.id)), h('td', {}, c.type),
          h('td', {}, c.name)))))
      : notice('ok', t('compare.same')));
  }

  const run = async () => {
    try {
      await compare();
    } catch (error) {
      result.replaceChildren(notice('error', errorText(error)));
    }
  };

  keySelect.addEventListener('change', fill);
  if (params.key && byKey.has(params.key)) keySelect.value = params.key;
  fill();
  append(main, 
    toolbar(
      h('label', {}, t('editor.definition'), ' ', keySelect),
      h('label', {}, t('compare.old'), ' ', leftSelect),
      h('label', {}, t('compare.new'), ' ', rightSelect),
      h('button', { type: 'button', id: 'run-compare', class: 'primary', onclick: run }, t('compare.run')),
      h('button', { type: 'button', onclick: () => navigate(`#/editor?key=${encodeURIComponent(keySelect.value)}&version=${rightSelect.value}`) },
        t('compare.edit')),
    ),
    h('div', { class: 'side-by-side' },
      h('section', {}, leftTitle, leftEl), h('section', {}, rightTitle, rightEl)),
    h('p', { class: 'legend' }, h('span', { class: 'swatch added' }), t('compare.added'), ' ',
      h('span', { class: 'swatch removed' }), t('compare.removed'), ' ',
      h('span', { class: 'swatch changed' }), t('compare.changed')),
    result,
  );
  if (byKey.size) await run();
  return () => {
    left.destroy();
    right.destroy();
  };
}
