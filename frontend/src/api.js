// The one API client: fetch + JWT from localStorage, errors carrying the server's message.
// A 401 on any signed-in call ends the session and sends the user to the sign-in page with a
// `redirect` back to where they were.

const TOKEN_KEY = 'pushtask.token'
const USER_KEY = 'pushtask.user'
const EXPIRES_KEY = 'pushtask.expiresAt'

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.body = body
    this.details = Array.isArray(body?.details) ? body.details : []
    this.reason = body?.reason ?? null
    // Set when the client already acted on the error (the 401 redirect): callers stay quiet.
    this.handled = false
  }
}

export const session = {
  get token() { return localStorage.getItem(TOKEN_KEY) },
  get user() {
    try { return JSON.parse(localStorage.getItem(USER_KEY) || 'null') } catch { return null }
  },
  get expiresAt() { return localStorage.getItem(EXPIRES_KEY) },
  /** True when there is a token and its expiry (if known) has not passed. */
  isActive(now = Date.now()) {
    if (!this.token) return false
    const exp = Date.parse(this.expiresAt || '')
    return Number.isNaN(exp) || exp > now
  },
  save({ token, expiresAt, user }) {
    localStorage.setItem(TOKEN_KEY, token)
    if (expiresAt) localStorage.setItem(EXPIRES_KEY, expiresAt)
    else localStorage.removeItem(EXPIRES_KEY)
    this.setUser(user)
  },
  setUser(user) { localStorage.setItem(USER_KEY, JSON.stringify(user || null)) },
  clear() {
    localStorage.removeItem(TOKEN_KEY)
    localStorage.removeItem(USER_KEY)
    localStorage.removeItem(EXPIRES_KEY)
  },
}

function currentPath() {
  const { pathname, search, hash } = window.location
  return pathname + search + hash
}

let unauthorizedHandler = (path) => {
  window.location.assign(`/login?redirect=${encodeURIComponent(path)}`)
}

/** Replace what happens on 401 (the app routes with vue-router; tests record the call). */
export function setUnauthorizedHandler(fn) {
  unauthorizedHandler = fn
}

/** Query string from an object, leaving out empty values; arrays become comma lists. */
export function toQuery(params = {}) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) {
      if (v.length) q.set(k, v.join(','))
    } else {
      q.set(k, String(v))
    }
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

// A session that is being used is renewed when it has less than this left. Only what a person
// does renews it (a navigation, a change), never the 5-second polling of an idle tab.
export const REFRESH_WINDOW_MS = 30 * 60 * 1000
let refreshing = null

/** Trade the token for a fresh one when it expires within REFRESH_WINDOW_MS (one call at a time). */
export function refreshIfDue(now = Date.now()) {
  const exp = Date.parse(session.expiresAt || '')
  if (!session.token || Number.isNaN(exp) || exp - now > REFRESH_WINDOW_MS || exp <= now) return Promise.resolve()
  if (!refreshing) {
    refreshing = request('POST', '/auth/refresh', { body: {}, renew: false })
      .then((res) => session.save(res))
      .catch(() => {}) // a refused refresh surfaces as the next call's 401
      .finally(() => { refreshing = null })
  }
  return refreshing
}

/**
 * Call the API. `responseType` is 'json' (default) or 'blob'. Throws ApiError: status 0 when the
 * server could not be reached, otherwise the HTTP status with the server's `error` as message.
 */
export async function request(method, path, { query, body, responseType = 'json', auth = true, renew = true } = {}) {
  if (auth && renew && method !== 'GET') await refreshIfDue()
  const headers = {
    Accept: responseType === 'blob' ? '*/*' : 'application/json',
    // The server words its messages in the user's language (zh-CN default, en).
    'Accept-Language': localStorage.getItem('pushtask.locale') === 'en' ? 'en' : 'zh-CN',
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const token = session.token
  if (auth && token) headers.Authorization = `Bearer ${token}`
  let res
  try {
    res = await fetch(`/api${path}${toQuery(query)}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch (e) {
    throw new ApiError(0, e?.message || 'Network error')
  }
  if (res.ok && responseType === 'blob') {
    return { blob: await res.blob(), filename: filenameFrom(res.headers.get('Content-Disposition')) }
  }
  const text = await res.text()
  let data = null
  if (text) {
    try { data = JSON.parse(text) } catch { data = null }
  }
  if (res.ok) return data
  const message = (data && (data.message || data.error)) || res.statusText || `HTTP ${res.status}`
  const err = new ApiError(res.status, message, data)
  if (res.status === 401 && auth) {
    session.clear()
    err.handled = true
    unauthorizedHandler(currentPath())
  }
  throw err
}

function filenameFrom(disposition) {
  if (!disposition) return null
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition)
  if (star) return decodeURIComponent(star[1])
  const plain = /filename="?([^";]+)"?/i.exec(disposition)
  return plain ? plain[1] : null
}

/**
 * Server field errors as {fieldPath: message}. "schedule.weekdays[0]" and "groups.3" fold into
 * the form item that shows them ("schedule.weekdays", "groups"); the first message wins.
 */
export function fieldErrors(details = []) {
  const out = {}
  for (const d of details || []) {
    if (!d || !d.field) continue
    const field = String(d.field).replace(/\[\d+\]/g, '').replace(/\.\d+(?=\.|$)/g, '')
    if (!(field in out)) out[field] = d.message || ''
  }
  return out
}

/** A sentence for the user: the server's message, or what to do when there is none. */
export function errorMessage(err, t) {
  if (!(err instanceof ApiError)) return err?.message || t('err.unknown')
  if (err.status === 0) return t('err.network')
  if (err.status === 403) return t('err.forbidden')
  if (err.status === 404) return err.message && err.message !== 'Not Found' ? err.message : t('err.notFound')
  if (err.status === 429) return err.reason || t('err.tooMany')
  if (err.status >= 500) return t('err.server', { msg: err.reason || err.message })
  // `reason` is the server's sentence in the user's language; `error` is a short English label.
  return err.reason || err.message
}

const enc = encodeURIComponent
const get = (path, query) => request('GET', path, { query })
const post = (path, body) => request('POST', path, { body: body ?? {} })
const put = (path, body) => request('PUT', path, { body })
const del = (path) => request('DELETE', path)

export const api = {
  login: (wechatId, password) => request('POST', '/auth/login', { body: { wechatId, password }, auth: false }),
  logout: () => request('POST', '/auth/logout', { body: {}, renew: false }),
  me: () => get('/auth/me'),

  listTasks: (query) => get('/tasks', query),
  getTask: (id) => get(`/tasks/${enc(id)}`),
  createTask: (body) => post('/tasks', body),
  updateTask: (id, body) => put(`/tasks/${enc(id)}`, body),
  deleteTask: (id) => del(`/tasks/${enc(id)}`),
  pauseTask: (id, resumeAt) => post(`/tasks/${enc(id)}/pause`, resumeAt ? { resumeAt } : {}),
  resumeTask: (id) => post(`/tasks/${enc(id)}/resume`),
  copyTask: (id) => post(`/tasks/${enc(id)}/copy`),
  adoptVariant: (id, key) => post(`/tasks/${enc(id)}/variants/${enc(key)}/adopt`),
  batch: (taskIds, action, updates) => post('/tasks/batch', updates ? { taskIds, action, updates } : { taskIds, action }),
  taskLogs: (id) => get(`/tasks/${enc(id)}/logs`),
  exportTasks: (query) => request('GET', '/tasks/export', { query, responseType: 'blob' }),

  listGroups: (query) => get('/groups', query),
  createGroup: (body) => post('/groups', body),
  updateGroup: (id, body) => put(`/groups/${enc(id)}`, body),
  deleteGroup: (id) => del(`/groups/${enc(id)}`),
  syncGroups: (body) => post('/groups/sync', body),

  listRecipients: (query) => get('/recipients', query),
  createRecipient: (body) => post('/recipients', body),
  updateRecipient: (id, body) => put(`/recipients/${enc(id)}`, body),
  deleteRecipient: (id) => del(`/recipients/${enc(id)}`),

  listUsers: (query) => get('/users', query),
  createUser: (body) => post('/users', body),
  updateUser: (id, body) => put(`/users/${enc(id)}`, body),
  deleteUser: (id) => del(`/users/${enc(id)}`),

  // previews, templates, media
  validateContent: (content, groups) => post('/preview/validate', groups?.length ? { content, groups } : { content }),
  sendPreview: (body) => post('/preview', body),
  renderPreview: (body) => post('/preview/render', body),
  sendSelfTest: (body) => post('/preview/self', body),
  confirmPreview: (previewId, response, comment = '') => post('/preview/confirm', { previewId, response, comment }),
  taskPreviews: (taskId) => get(`/preview/tasks/${enc(taskId)}`),
  listTemplates: () => get('/preview/templates'),
  createTemplate: (body) => post('/preview/templates', body),
  updateTemplate: (id, body) => put(`/preview/templates/${enc(id)}`, body),
  deleteTemplate: (id) => del(`/preview/templates/${enc(id)}`),
  uploadImage: (file, onProgress) => upload('/media', file, onProgress),

  // pushes
  pushNow: (taskId) => post('/push', { taskId }),
  getPush: (pushId) => get(`/push/${enc(pushId)}`),
  resendPush: (pushId, groupIds) => post(`/push/${enc(pushId)}/resend`, groupIds?.length ? { groupIds } : {}),
  markPushSent: (pushId, groupIds) => post(`/push/${enc(pushId)}/mark-sent`, groupIds?.length ? { groupIds } : {}),
  // Two-phase pushes (WeCom customer groups): read the owners' answers now / remind the owners now.
  refreshPush: (pushId) => post(`/push/${enc(pushId)}/refresh`),
  remindPush: (pushId, groupIds) => post(`/push/${enc(pushId)}/remind`, groupIds?.length ? { groupIds } : {}),
  taskPushes: (taskId, query) => get(`/tasks/${enc(taskId)}/pushes`, query),

  // notifications and feedback
  notifications: (query) => get('/notifications', query),
  markRead: (ids) => post('/notifications/read', ids ? { ids } : {}),
  notificationSettings: () => get('/notifications/settings'),
  saveNotificationSettings: (body) => put('/notifications/settings', body),
  feedbackReport: (query) => get('/reports/feedback', query),
  feedbackCsv: (query) => request('GET', '/reports/feedback', { query: { ...query, format: 'csv' }, responseType: 'blob' }),
  engagementReport: (query) => get('/reports/engagement', query),
  engagementCsv: (query) => request('GET', '/reports/engagement', { query: { ...query, format: 'csv' }, responseType: 'blob' }),
  linkSettings: () => get('/settings/links'),
  setLinkSettings: (body) => request('PUT', '/settings/links', { body }),
  listFeedback: (query) => get('/feedback', query),
  health: () => request('GET', '/health', { auth: false }),
}

/**
 * Upload a file as multipart field `file` with XMLHttpRequest (fetch reports no upload progress).
 * `onProgress(percent)` is called as bytes leave the browser; errors are ApiError like request().
 */
export function upload(path, file, onProgress, { Xhr = globalThis.XMLHttpRequest } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new Xhr()
    xhr.open('POST', `/api${path}`)
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.setRequestHeader('Accept-Language', localStorage.getItem('pushtask.locale') === 'en' ? 'en' : 'zh-CN')
    if (session.token) xhr.setRequestHeader('Authorization', `Bearer ${session.token}`)
    if (xhr.upload && onProgress) {
      xhr.upload.onprogress = (e) => { if (e.lengthComputable && e.total) onProgress(Math.round((e.loaded / e.total) * 100)) }
    }
    xhr.onerror = () => reject(new ApiError(0, 'Network error'))
    xhr.onload = () => {
      let data = null
      try { data = JSON.parse(xhr.responseText || 'null') } catch { data = null }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.(100)
        resolve(data)
        return
      }
      const err = new ApiError(xhr.status, (data && (data.message || data.error)) || `HTTP ${xhr.status}`, data)
      if (xhr.status === 401) {
        session.clear()
        err.handled = true
        unauthorizedHandler(currentPath())
      }
      reject(err)
    }
    const fd = new FormData()
    fd.append('file', file, file.name || 'image')
    xhr.send(fd)
  })
}
