// The JSON API with the session's Bearer token. Errors become ApiError carrying the server's code, message and
// details (for a 422, the details name each invalid field).
import { token } from './session.js';

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || 'http_error';
    this.details = error.details ?? null;
  }
}

export async function request(method, path, { json, xml, accept, blob, withStatus } = {}) {
  const headers = { Accept: accept || 'application/json' };
  const current = token();
  if (current) headers.Authorization = `Bearer ${current}`;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (xml !== undefined) {
    headers['Content-Type'] = 'application/xml';
    body = xml;
  }
  const response = await fetch(`/api/v1${path}`, { method, headers, body, credentials: 'omit' });
  const type = response.headers.get('Content-Type') || '';
  if (!response.ok) {
    const errorBody = type.includes('json') ? await response.json().catch(() => null) : null;
    throw new ApiError(response.status, errorBody);
  }
  let result;
  if (blob) result = await response.blob();
  else if (type.includes('json')) result = await response.json();
  else result = await response.text();
  return withStatus ? { status: response.status, body: result } : result;
}

export const api = {
  get: (path, options) => request('GET', path, options),
  post: (path, options) => request('POST', path, options),
};

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
