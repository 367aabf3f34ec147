// The single page: login, the navigation of the user's role and a hash router (#/inbox, #/task/<id>, ...).
import './style.css';
import { api, ApiError } from './api.js';
import { errorText } from './ui.js';
import { $, append, clear, h } from './dom.js';
import { language, setLanguage, t } from './i18n.js';
import { logout, setUser, token, user } from './session.js';
import { loginPage } from './pages/login.js';
import { editorPage } from './pages/editor.js';
import { comparePage } from './pages/compare.js';
import { inboxPage } from './pages/inbox.js';
import { taskPage } from './pages/task.js';
import { startPage } from './pages/start.js';
import { instancesPage } from './pages/instances.js';
import { timelinePage } from './pages/timeline.js';

const ADMIN = 'administrator';
const RESPONDER = 'responder';
const AUDITOR = 'auditor';

// path (first segment of the hash) → page; `nav` routes appear in the menu of the roles that may open them
const ROUTES = {
  editor: { roles: [ADMIN], nav: 'nav.editor', page: editorPage },
  compare: { roles: [ADMIN], nav: 'nav.compare', page: comparePage },
  inbox: { roles: [RESPONDER], nav: 'nav.inbox', page: inboxPage },
  task: { roles: [RESPONDER], page: taskPage },
  start: { roles: [ADMIN, RESPONDER], nav: 'nav.start', page: startPage },
  instances: { roles: [ADMIN, AUDITOR], nav: 'nav.instances', page: instancesPage },
  instance: { roles: [ADMIN, AUDITOR], page: timelinePage },
};
const HOME = { [ADMIN]: 'editor', [RESPONDER]: 'inbox', [AUDITOR]: 'instances' };

let cleanup = null;
let generation = 0; // a page still loading when the user moves on must not install its cleanup over the next one

function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function parseHash() {
  const [path, search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [name = '', ...rest] = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { name, args: rest, params: Object.fromEntries(new URLSearchParams(search)) };
}

async function route() {
  const current = ++generation;
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  const root = clear($('#app'));
  document.documentElement.lang = language() === 'zh' ? 'zh-CN' : 'en';
  document.title = t('app.title');
  if (!token()) {
    root.append(header(null), loginPage(() => navigate('#/')));
    return;
  }
  if (!user()) {
    try {
      setUser(await api.get('/me'));
    } catch (error) {
      if (current !== generation) return;
      if (error instanceof ApiError && error.status === 401) logout();
      root.append(header(null), loginPage(() => navigate('#/'), error));
      return;
    }
  }
  if (current !== generation) return;
  const me = user();
  const { name, args, params } = parseHash();
  const target = ROUTES[name];
  if (!target || !target.roles.includes(me.role)) {
    if (name && target) root.append(header(me), h('p', { class: 'error' }, t('error.role')));
    else location.replace(`#/${HOME[me.role]}`);
    return;
  }
  const main = h('main', { id: 'page', class: `page-${name}` });
  root.append(header(me, name), main);
  try {
    const stop = (await target.page(main, { args, params, user: me, navigate })) || null;
    if (current === generation) cleanup = stop;
    else if (stop) stop();
  } catch (error) {
    if (current !== generation) return;
    if (error instanceof ApiError && error.status === 401) { // the token was revoked meanwhile
      logout();
      route();
      return;
    }
    append(main, h('p', { class: 'error', role: 'alert' }, errorText(error)));
  }
}

function header(me, current) {
  const nav = h('nav', { class: 'menu' });
  if (me) {
    for (const [name, target] of Object.entries(ROUTES)) {
      if (target.nav && target.roles.includes(me.role)) {
        nav.append(h('a', { href: `#/${name}`, class: name === current ? 'active' : '' }, t(target.nav)));
      }
    }
  }
  const who = me
    ? h('span', { class: 'who', 'data-role': me.role }, `${me.name} · ${t(`role.${me.role}`)}`)
    : null;
  const switchLanguage = h('button', {
    type: 'button', class: 'link', id: 'language',
    onclick: () => { setLanguage(language() === 'zh' ? 'en' : 'zh'); route(); },
  }, language() === 'zh' ? 'English' : '中文');
  const signOut = me ? h('button', {
    type: 'button', class: 'link', id: 'logout',
    onclick: () => { logout(); navigate('#/'); },
  }, t('nav.logout')) : null;
  return h('header', { class: 'top' }, h('strong', { class: 'brand' }, t('app.title')), nav,
    h('span', { class: 'spacer' }), who, switchLanguage, signOut);
}

window.addEventListener('hashchange', route);
window.addEventListener('DOMContentLoaded', route);
