// The words of a diagram's forms: every camunda:formField's label and enum value names, by field id. The same
// field id means the same datum in every form of a diagram, so these name the instance's data for people.
const CAMUNDA_NS = 'http://camunda.org/schema/1.0/bpmn';

export function formVocabulary(xml) {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const labels = new Map();
  const options = new Map();
  for (const field of doc.getElementsByTagNameNS(CAMUNDA_NS, 'formField')) {
    const id = field.getAttribute('id');
    if (!id) continue;
    if (!labels.has(id) && field.getAttribute('label')) labels.set(id, field.getAttribute('label'));
    for (const value of field.getElementsByTagNameNS(CAMUNDA_NS, 'value')) {
      if (!options.has(id)) options.set(id, new Map());
      if (!options.get(id).has(value.getAttribute('id'))) options.get(id).set(value.getAttribute('id'), value.getAttribute('name'));
    }
  }
  return { labels, options };
}
