// Editor (administrators): open a deployed definition or start from the template, edit it with the Camunda 7
// properties panel, validate it (each problem shown on its element) and deploy it as a new version.
import { api, ApiError, query } from '../api.js';
import { append, h } from '../dom.js';
import { language, t } from '../i18n.js';
import { createModeler, elementFor, show } from '../bpmn/modeler.js';
import { newDiagramXml, newProcessKey } from '../bpmn/template.js';
import { errorText, notice, toolbar } from '../ui.js';
import { definitionVersions, fillVersionSelect, keyOptions } from './definitions.js';

/** Edits not yet deployed are kept in sessionStorage, so that switching the language or visiting another page
 * (each re-creates the modeler) loses nothing; opening a definition or deploying discards the draft. */
const DRAFT = 'emflow.editor.draft';

export async function editorPage(main, { params, navigate }) {
  const canvasEl = h('div', { class: 'canvas', id: 'canvas' });
  const propertiesEl = h('div', { class: 'properties', id: 'properties' });
  const status = h('div', { class: 'status', id: 'editor-status' });
  const problemsEl = h('ol', { class: 'problems', id: 'problems' });
  const current = h('span', { class: 'current', id: 'current-definition' });
  const keySelect = h('select', { id: 'definition-key', 'aria-label': t('editor.definition') });
  const versionSelect = h('select', { id: 'definition-version', 'aria-label': t('editor.version') });

  const modeler = createModeler(canvasEl, propertiesEl);
  window.emflow = { ...window.emflow, modeler }; // for the browser tests and the console
  const state = { key: null, version: null, dirty: false, versions: new Map() };

  const say = (kind, text) => status.replaceChildren(notice(kind, text));
  const describe = () => {
    const process = processOf(modeler);
    state.key = process ? process.id : null;
    const where = state.version ? t('editor.versionOf', { key: state.key, version: state.version })
      : t('editor.unsaved', { key: state.key || '?' });
    current.textContent = state.dirty ? `${where} · ${t('editor.modified')}` : where;
    current.dataset.key = state.key || '';
  };

  async function reloadDefinitions(selectKey) {
    state.versions = definitionVersions(await api.get(`/definitions${query({ all_versions: true })}`));
    keySelect.replaceChildren(...keyOptions(state.versions));
    if (selectKey && state.versions.has(selectKey)) keySelect.value = selectKey;
    fillVersionSelect(versionSelect, state.versions.get(keySelect.value) || []);
  }

  async function open(key, version) {
    const xml = await api.get(`/definitions/${encodeURIComponent(key)}/xml${query({ version })}`);
    await load(xml, version || Math.max(...(state.versions.get(key) || []).map((d) => d.version)));
    say('ok', t('editor.opened', { key, version: state.version }));
  }

  async function load(xml, version, dirty = false) {
    clearProblems();
    await show(modeler, xml);
    state.version = version || null;
    state.dirty = dirty;
    if (!dirty) sessionStorage.removeItem(DRAFT);
    describe();
  }

  async function newDiagram() {
    const key = newProcessKey();
    await load(newDiagramXml(key, {
      processName: t('template.process'), laneId: 'duty_officer', laneName: t('template.lane'),
      taskName: t('template.task'), fieldLabel: t('template.field'),
    }), null);
    say('ok', t('editor.created', { key }));
  }

  function clearProblems() {
    modeler.get('overlays').remove({ type: 'emf-problem' });
    modeler.get('elementRegistry').forEach((element) => modeler.get('canvas').removeMarker(element, 'emf-problem'));
    problemsEl.replaceChildren();
  }

  function showProblems(problems) {
    clearProblems();
    const overlays = modeler.get('overlays');
    const canvas = modeler.get('canvas');
    const counts = new Map();
    for (const problem of problems) {
      const element = elementFor(modeler, problem.element_id);
      const item = h('li', { class: `problem ${element ? 'located' : ''}`, dataset: { element: problem.element_id || '' } },
        h('code', {}, problem.code), ' ',
        problem.element_id ? h('strong', {}, problem.element_id) : null,
        problem.line ? ` (${t('editor.line', { line: problem.line })})` : '', ': ',
        // Chinese first: what the problem is (message_zh), then the detail in the validator's own words
        language() === 'zh' && problem.message_zh ? [h('span', { class: 'problem-zh' }, problem.message_zh), ' — '] : null,
        problem.message);
      if (element) {
        item.addEventListener('click', () => {
          modeler.get('selection').select(element);
          canvas.scrollToElement(element);
        });
        canvas.addMarker(element, 'emf-problem');
        counts.set(element, [...(counts.get(element) || []), problem.message]);
      }
      problemsEl.append(item);
    }
    for (const [element, messages] of counts) {
      overlays.add(element, 'emf-problem', {
        position: { top: -12, right: 12 },
        html: h('div', { class: 'problem-badge', title: messages.join('\n'), dataset: { element: element.id } },
          `⚠ ${messages.length}`),
      });
    }
  }

  async function xml() {
    return (await modeler.saveXML({ format: true })).xml;
  }

  async function validate() {
    const result = await api.post('/definitions/validate', { xml: await xml() });
    showProblems(result.problems);
    say(result.valid ? 'ok' : 'error', result.valid ? t('editor.valid')
      : t('editor.invalid', { n: result.problems.length }));
  }

  async function deploy() {
    try {
      const { status: code, body: info } = await api.post('/definitions', { xml: await xml(), withStatus: true });
      clearProblems();
      await reloadDefinitions(info.key);
      const created = code === 201;
      state.version = info.version;
      state.dirty = false;
      sessionStorage.removeItem(DRAFT);
      describe();
      versionSelect.value = String(info.version);
      say('ok', created ? t('editor.deployed', { key: info.key, version: info.version })
        : t('editor.unchanged', { key: info.key, version: info.version }));
    } catch (error) {
      if (error instanceof ApiError && Array.isArray(error.details)) {
        showProblems(error.details);
        say('error', t('editor.deployFailed', { n: error.details.length }));
      } else {
        throw error;
      }
    }
  }

  const guard = (action) => async () => {
    status.replaceChildren();
    try {
      await action();
    } catch (error) {
      say('error', errorText(error));
    }
  };

  keySelect.addEventListener('change', () => fillVersionSelect(versionSelect, state.versions.get(keySelect.value) || []));
  modeler.on('commandStack.changed', async (event) => {
    if (event.trigger === 'clear') return; // a diagram was loaded, nothing was edited
    state.dirty = true;
    describe();
    sessionStorage.setItem(DRAFT, JSON.stringify({ xml: await xml(), version: state.version }));
  });

  append(main, 
    toolbar(
      h('label', {}, t('editor.definition'), ' ', keySelect),
      h('label', {}, t('editor.version'), ' ', versionSelect),
      h('button', { type: 'button', id: 'open', onclick: guard(() => open(keySelect.value, Number(versionSelect.value))) },
        t('editor.open')),
      h('button', { type: 'button', id: 'new', onclick: guard(newDiagram) }, t('editor.new')),
      h('span', { class: 'separator' }),
      h('button', { type: 'button', id: 'validate', onclick: guard(validate) }, t('editor.validate')),
      h('button', { type: 'button', id: 'deploy', class: 'primary', onclick: guard(deploy) }, t('editor.deploy')),
      h('button', { type: 'button', id: 'compare', onclick: () => navigate(`#/compare?key=${encodeURIComponent(state.key || keySelect.value)}`) },
        t('editor.compare')),
      h('button', { type: 'button', id: 'start', onclick: () => navigate(`#/start?key=${encodeURIComponent(state.key || '')}`) },
        t('editor.start')),
    ),
    h('div', { class: 'editor-state' }, current, status),
    h('div', { class: 'editor' }, canvasEl, propertiesEl),
    h('section', { class: 'problems-panel' }, h('h2', {}, t('editor.problems')), problemsEl),
  );

  await reloadDefinitions(params.key);
  const draft = JSON.parse(sessionStorage.getItem(DRAFT) || 'null');
  if (params.key && state.versions.has(params.key)) {
    await open(params.key, params.version ? Number(params.version) : undefined);
  } else if (draft) {
    await load(draft.xml, draft.version, true);
    say('ok', t('editor.restored'));
  } else {
    await newDiagram();
  }
  return () => {
    modeler.destroy();
    if (window.emflow) delete window.emflow.modeler;
  };
}

/** The executable process of the diagram (its id is the definition key). */
function processOf(modeler) {
  const definitions = modeler.getDefinitions();
  if (!definitions) return null;
  const processes = definitions.rootElements.filter((e) => e.$type === 'bpmn:Process');
  return processes.find((p) => p.isExecutable) || processes[0] || null;
}
