// Who is logged in: the API token lives in sessionStorage (gone when the tab closes), the user (name, role,
// lanes) is read from GET /api/v1/me after login and on every page load.
const KEY = 'emflow.token';
let currentUser = null;

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  sessionStorage.setItem(KEY, value);
}

export function logout() {
  sessionStorage.removeItem(KEY);
  currentUser = null;
}

export function user() {
  return currentUser;
}

export function setUser(value) {
  currentUser = value;
}
