// An instance and its timeline (auditors and administrators): the diagram with completed, active and overdue
// elements marked, the ordered history beside it, a slider that replays the instance to any event and re-marks
// the diagram, the hash-chain verification, and the CSV export.
import { api, query } from '../api.js';
import { append, h } from '../dom.js';
import { t } from '../i18n.js';
import { createViewer, setMarkers, show } from '../bpmn/modeler.js';
import { markersAt, STATE_MARKERS } from '../bpmn/marking.js';
import { errorText, formatTime, notice } from '../ui.js';

export async function timelinePage(main, { args }) {
  const id = Number(args[0]);
  const [instance, history, chain] = await Promise.all([
    api.get(`/instances/${id}`), api.get(`/instances/${id}/history`), api.get(`/instances/${id}/history/verify`),
  ]);
  const last = history.length ? history[history.length - 1].seq : 0;
  const canvasEl = h('div', { class: 'canvas', id: 'timeline-canvas' });
  const viewer = createViewer(canvasEl);
  const slider = h('input', { type: 'range', id: 'replay-slider', min: '1', max: String(Math.max(last, 1)), value: String(last), step: '1' });
  const position = h('span', { id: 'replay-position' });
  const replayInfo = h('div', { class: 'status', id: 'replay-info' });
  const list = h('ol', { class: 'history', id: 'history' }, history.map(historyItem));

  const isDeadlineTimer = (elementId) => {
    const element = viewer.get('elementRegistry').get(elementId);
    return element?.type === 'bpmn:BoundaryEvent'
      && (element.businessObject.eventDefinitions || []).some((d) => d.$type === 'bpmn:TimerEventDefinition');
  };

  let latest = 0; // answers to older slider positions are dropped
  async function replayTo(seq) {
    const ticket = ++latest;
    position.textContent = t('timeline.position', { seq, last });
    try {
      const result = await api.get(`/instances/${id}/replay${query({ to: seq })}`);
      if (ticket !== latest) return;
      const state = result.state;
      // a state lasted until the next event (the latest one until now): deadlines that passed by then were missed
      const next = history.find((event) => event.seq > state.seq);
      const at = next ? Date.parse(next.at) : Date.now();
      setMarkers(viewer, markersAt(history, state.seq, state.ready_tasks, at, isDeadlineTimer), STATE_MARKERS);
      canvasEl.dataset.seq = String(state.seq);
      list.querySelectorAll('li').forEach((li) => {
        const eventSeq = Number(li.dataset.seq);
        li.classList.toggle('future', eventSeq > state.seq);
        li.classList.toggle('current', eventSeq === state.seq);
      });
      replayInfo.replaceChildren(
        h('span', {}, t('timeline.state', { seq: state.seq, at: formatTime(state.at), status: t(`status.${state.status}`, {}, state.status) })),
        ' ',
        result.divergence ? notice('error', t('timeline.diverged', { seq: result.divergence.seq, message: result.divergence.message }))
          : h('span', { class: 'badge ok' }, t(result.checked_end ? 'timeline.reproduced' : 'timeline.consistent')),
        ' ',
        h('span', {}, t('timeline.ready', { tasks: state.ready_tasks.map((task) => task.name || task.element_id).join('、') || '—' })),
      );
    } catch (error) {
      if (ticket === latest) replayInfo.replaceChildren(notice('error', errorText(error)));
    }
  }

  let debounce = null;
  slider.addEventListener('input', () => {
    clearTimeout(debounce);
    position.textContent = t('timeline.position', { seq: slider.value, last });
    debounce = setTimeout(() => replayTo(Number(slider.value)), 150);
  });
  const step = (delta) => () => {
    slider.value = String(Math.min(last, Math.max(1, Number(slider.value) + delta)));
    replayTo(Number(slider.value));
  };
  list.addEventListener('click', (event) => {
    const li = event.target.closest('li[data-seq]');
    if (li) {
      slider.value = li.dataset.seq;
      replayTo(Number(li.dataset.seq));
    }
  });

  append(main, 
    h('h1', {}, t('timeline.title', { id, key: instance.business_key })),
    h('p', { class: 'instance-meta' },
      `${instance.definition_key} v${instance.definition_version}`, ' · ',
      t(`status.${instance.status}`, {}, instance.status), ' · ',
      chainBadge(chain), ' · ',
      h('a', { href: '#', id: 'export-csv', onclick: (event) => exportCsv(event, id) }, t('timeline.csv'))),
    h('div', { class: 'replay' },
      h('label', { for: 'replay-slider' }, t('timeline.replay')),
      h('button', { type: 'button', class: 'step', id: 'replay-back', onclick: step(-1), title: t('timeline.back') }, '◀'),
      slider,
      h('button', { type: 'button', class: 'step', id: 'replay-forward', onclick: step(1), title: t('timeline.forward') }, '▶'),
      position),
    replayInfo,
    h('div', { class: 'timeline' },
      h('div', {}, canvasEl, legend()),
      h('section', { class: 'history-panel' }, h('h2', {}, t('timeline.history', { n: history.length })), list)),
  );
  await show(viewer, await api.get(`/definitions/${encodeURIComponent(instance.definition_key)}/xml${query({ version: instance.definition_version })}`));
  list.querySelectorAll('li').forEach((li) => { li.querySelector('.element').textContent = elementName(viewer, li.dataset.element); });
  if (last) await replayTo(last);
  return () => {
    clearTimeout(debounce);
    viewer.destroy();
  };
}

function historyItem(event) {
  return h('li', { dataset: { seq: String(event.seq), element: event.element_id || '', kind: event.kind } },
    h('span', { class: 'seq' }, `#${event.seq}`),
    h('span', { class: 'time' }, formatTime(event.at)),
    h('span', { class: 'what' }, h('span', { class: 'element' }), ' ',
      h('span', { class: 'kind' }, t(`kind.${event.kind}`, {}, event.kind), transition(event))),
    h('span', { class: 'actor' }, event.actor || '—'));
}

function transition(event) {
  const { from, to } = event.payload || {};
  return event.kind === 'task_state' && to ? ` ${t(`state.${from}`, {}, from || '∅')} → ${t(`state.${to}`, {}, to)}` : '';
}

function elementName(viewer, elementId) {
  if (!elementId) return '';
  const element = viewer.get('elementRegistry').get(elementId);
  return element?.businessObject?.name || elementId;
}

function chainBadge(chain) {
  if (chain.intact) {
    return h('span', { class: 'badge ok', id: 'chain' }, t('timeline.intact', { n: chain.events }));
  }
  const problem = chain.problem || {};
  return h('span', { class: 'badge error', id: 'chain', title: problem.message || '' },
    t('timeline.broken', { seq: problem.seq, kind: problem.kind }));
}

function legend() {
  return h('p', { class: 'legend' }, ['completed', 'active', 'overdue', 'cancelled'].map((state) => [
    h('span', { class: `swatch ${state}` }), t(`timeline.${state}`), ' ']));
}

/** The CSV needs the Bearer token, which a plain link cannot send: fetch it, then save it from a blob URL. */
async function exportCsv(event, id) {
  event.preventDefault();
  const blob = await api.get(`/instances/${id}/history${query({ format: 'csv' })}`, { accept: 'text/csv', blob: true });
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: `instance-${id}-history.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
