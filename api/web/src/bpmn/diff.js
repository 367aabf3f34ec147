// An element-level comparison of two BPMN documents: which elements (by id) were added, removed or changed.
// An element's content is its own XML without the nested elements that have ids of their own (a process does
// not "change" because one of its tasks did), and without the diagram interchange (moving a shape is not a
// change of the process).
const BPMN_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
const CONTAINERS = new Set(['definitions', 'process', 'collaboration', 'laneSet', 'subProcess']);

export function elementsOf(xml) {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const error = doc.querySelector('parsererror');
  if (error) throw new Error(error.textContent);
  const elements = new Map();
  for (const el of doc.getElementsByTagNameNS(BPMN_NS, '*')) {
    const id = el.getAttribute('id');
    if (!id || CONTAINERS.has(el.localName)) continue;
    elements.set(id, { id, type: el.localName, name: el.getAttribute('name') || '', content: contentOf(el) });
  }
  return elements;
}

function contentOf(el) {
  const copy = el.cloneNode(true);
  for (const nested of [...copy.getElementsByTagNameNS(BPMN_NS, '*')]) {
    if (nested.hasAttribute('id') && nested.parentNode) nested.parentNode.removeChild(nested);
  }
  return new XMLSerializer().serializeToString(copy).replace(/>\s+</g, '><').replace(/\s+/g, ' ').trim();
}

/** [{id, type, name, change: 'added'|'removed'|'changed'}], in document order of the newer version. */
export function diffElements(oldXml, newXml) {
  const before = elementsOf(oldXml);
  const after = elementsOf(newXml);
  const changes = [];
  for (const [id, element] of after) {
    const old = before.get(id);
    if (!old) changes.push({ ...element, change: 'added' });
    else if (old.content !== element.content || old.type !== element.type) changes.push({ ...element, change: 'changed' });
  }
  for (const [id, element] of before) {
    if (!after.has(id)) changes.push({ ...element, change: 'removed' });
  }
  return changes;
}
