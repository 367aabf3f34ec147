// The escalation decision of the rules layer (instance data `escalation`): level, reasons, reporting deadline
// and recipients, response, and the ruleset it came from.
import { append, h } from '../dom.js';
import { language, t } from '../i18n.js';

export function escalationPanel(escalation, pending) {
  const section = h('section', { class: 'card escalation', id: 'escalation' }, h('h2', {}, t('escalation.title')));
  if (!escalation) {
    section.append(h('p', { class: 'hint' }, t('escalation.none')));
    return section;
  }
  const yes = (flag) => (flag ? t('form.yes') : t('form.no'));
  // the rules render every reason in both languages from the same rule data (reasons_zh beside reasons)
  const reasons = language() === 'zh' && escalation.reasons_zh ? escalation.reasons_zh : escalation.reasons;
  const codes = (list) => (list && list.length ? list.map((code) => t(`authority.${code}`, {}, code)).join('、') : '—');
  append(section,
    h('p', { class: `level level-${escalation.level}`, id: 'escalation-level' }, t(`level.${escalation.level}`, {}, escalation.level)),
    h('h3', {}, t('escalation.reasons')),
    h('ul', { class: 'reasons', id: 'escalation-reasons' }, (reasons || []).map((reason) => h('li', {}, reason))),
    h('dl', {},
      h('dt', {}, t('escalation.deadline')),
      h('dd', {}, escalation.initial_report_deadline_minutes == null ? t('escalation.immediately')
        : t('escalation.minutes', { n: escalation.initial_report_deadline_minutes })),
      h('dt', {}, t('escalation.reportTo')), h('dd', {}, codes(escalation.report_to)),
      h('dt', {}, t('escalation.response')),
      h('dd', {}, [escalation.response_level && t(`level.${escalation.response_level}`, {}, escalation.response_level),
        escalation.response_lead && t(`authority.${escalation.response_lead}`, {}, escalation.response_lead)]
        .filter(Boolean).join(' · ') || '—'),
      h('dt', {}, t('escalation.triggers')), h('dd', {}, (escalation.art4_triggers || []).join('、') || '—'),
      h('dt', {}, t('escalation.workGroup')), h('dd', {}, yes(escalation.dispatch_city_work_group)),
      h('dt', {}, t('escalation.leaderOnScene')), h('dd', {}, yes(escalation.leader_on_scene)),
      escalation.ruleset ? [h('dt', {}, t('escalation.ruleset')),
        h('dd', {}, `${escalation.ruleset.name} v${escalation.ruleset.version}`)] : null),
  );
  if (pending) {
    section.append(h('p', { class: 'notice warning' }, t('escalation.pending', { level: t(`level.${pending.level}`, {}, pending.level) })));
  }
  return section;
}
