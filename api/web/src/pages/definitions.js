// Deployed definitions grouped by key, and the two selects (key, version) the editor and the comparison share.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { formatTime } from '../ui.js';

/** key → its versions, oldest first (from GET /definitions?all_versions=true). */
export function definitionVersions(definitions) {
  const byKey = new Map();
  for (const definition of definitions) {
    byKey.set(definition.key, [...(byKey.get(definition.key) || []), definition]);
  }
  for (const versions of byKey.values()) versions.sort((a, b) => a.version - b.version);
  return new Map([...byKey.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function keyOptions(byKey) {
  return [...byKey.entries()].map(([key, versions]) => {
    const name = versions[versions.length - 1].name;
    return h('option', { value: key }, name ? `${name} (${key})` : key);
  });
}

/** Fill a version select, newest first; `selected` defaults to the newest. */
export function fillVersionSelect(select, versions, selected) {
  select.replaceChildren(...[...versions].reverse().map((d) => h('option', { value: String(d.version) },
    `${t('editor.v', { version: d.version })} · ${formatTime(d.deployed_at)}`)));
  if (selected) select.value = String(selected);
}
