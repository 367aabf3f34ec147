// Login: the user pastes the API token that `emflow users add` printed; it is checked against GET /api/v1/me.
import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { logout, setToken, setUser } from '../session.js';
import { errorText, notice } from '../ui.js';

export function loginPage(done, previousError) {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const status = h('div', { class: 'status' }, previousError ? notice('error', errorText(previousError)) : null);
  const form = h('form', { class: 'login card', id: 'login-form' },
    h('h1', {}, t('login.title')),
    h('p', { class: 'hint' }, t('login.hint')),
    h('label', { for: 'token' }, t('login.token')),
    input,
    h('button', { type: 'submit', class: 'primary' }, t('login.submit')),
    status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.replaceChildren();
    setToken(input.value.trim());
    try {
      setUser(await api.get('/me'));
      done();
    } catch (error) {
      logout();
      status.append(notice('error', error.status === 401 ? t('login.invalid') : errorText(error)));
    }
  });
  return h('main', { id: 'page', class: 'page-login' }, form);
}
