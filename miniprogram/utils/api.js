// The one client of the PushTask REST API. Every server path the mini program uses is in ENDPOINTS
// below (test/openapi/generate.py reads this table to cut the server's OpenAPI document down to what the
// mini program calls; jest checks fixtures and request bodies against that slice). The base URL comes
// from config.js; the session (token, expiry, scope) is kept in storage and refreshed before it expires.
const config = require('../config')
const i18n = require('./i18n')

const SESSION_KEY = 'pushtask.session'
const LOGIN_PAGE = '/pages/login/login'
// Refresh a token this long before it expires (the server's tokens live 8 h).
const REFRESH_MARGIN_MS = 30 * 60 * 1000

// [method, path template]; `:name` parts are filled from the call's arguments.
const ENDPOINTS = {
  login: ['POST', '/api/auth/login'],
  logout: ['POST', '/api/auth/logout'],
  refresh: ['POST', '/api/auth/refresh'],
  me: ['GET', '/api/auth/me'],
  wechatSignIn: ['POST', '/api/auth/wechat'],
  wechatBinding: ['GET', '/api/auth/wechat/bind'],
  bindWechat: ['POST', '/api/auth/wechat/bind'],
  listUsers: ['GET', '/api/users'],
  listTasks: ['GET', '/api/tasks'],
  getTask: ['GET', '/api/tasks/:taskId'],
  createTask: ['POST', '/api/tasks'],
  updateTask: ['PUT', '/api/tasks/:taskId'],
  pauseTask: ['POST', '/api/tasks/:taskId/pause'],
  resumeTask: ['POST', '/api/tasks/:taskId/resume'],
  copyTask: ['POST', '/api/tasks/:taskId/copy'],
  deleteTask: ['DELETE', '/api/tasks/:taskId'],
  taskLogs: ['GET', '/api/tasks/:taskId/logs'],
  taskPushes: ['GET', '/api/tasks/:taskId/pushes'],
  getPush: ['GET', '/api/push/:pushId'],
  listGroups: ['GET', '/api/groups'],
  listRecipients: ['GET', '/api/recipients'],
  listTemplates: ['GET', '/api/preview/templates'],
  uploadMedia: ['POST', '/api/media'],
  getMedia: ['GET', '/api/media/:mediaId'],
  sendPreview: ['POST', '/api/preview'],
  getPreview: ['GET', '/api/preview/:previewId'],
  decidePreview: ['POST', '/api/preview/confirm'],
  myPreviews: ['GET', '/api/me/previews'],
  mySubscriptions: ['POST', '/api/me/subscriptions'],
  submitFeedback: ['POST', '/api/feedback'],
  linkOpened: ['POST', '/api/links/:code/open'],
}

class ApiError extends Error {
  constructor(status, message, body, retryAfter) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.body = body || {}
    // [{field, message}] for 400s, as the server sends them.
    this.details = (this.body && this.body.details) || []
    this.retryAfter = retryAfter || 0
  }
}

// ---- the session ------------------------------------------------------------------------------

/** {token, expiresAt, scope: operator|reviewer|member, user, reviewer, memberId} or null. */
function getSession() {
  return wx.getStorageSync(SESSION_KEY) || null
}

function setSession(body) {
  const session = {
    token: body.token,
    expiresAt: body.expiresAt,
    scope: body.scope || 'operator',
    user: body.user || null,
    reviewer: body.reviewer || null,
    memberId: body.memberId || null,
  }
  wx.setStorageSync(SESSION_KEY, session)
  return session
}

function getToken() {
  const s = getSession()
  return (s && s.token) || ''
}

function getUser() {
  const s = getSession()
  return (s && s.user) || null
}

function clearSession() {
  wx.removeStorageSync(SESSION_KEY)
}

function currentRoute() {
  if (typeof getCurrentPages !== 'function') return ''
  const pages = getCurrentPages() || []
  const page = pages[pages.length - 1]
  if (!page || !page.route) return ''
  const query = Object.keys(page.options || {})
    .map(k => `${k}=${encodeURIComponent(page.options[k])}`)
    .join('&')
  return `/${page.route}${query ? `?${query}` : ''}`
}

function goToLogin() {
  const back = currentRoute()
  if (back.indexOf(LOGIN_PAGE) === 0) return
  wx.reLaunch({ url: back ? `${LOGIN_PAGE}?redirect=${encodeURIComponent(back)}` : LOGIN_PAGE })
}

// ---- requests ---------------------------------------------------------------------------------

function buildPath(template, params) {
  return template.replace(/:([A-Za-z]+)/g, (_, name) => encodeURIComponent(params[name]))
}

function queryString(query) {
  const parts = Object.keys(query || {})
    .filter(k => query[k] !== undefined && query[k] !== null && query[k] !== '')
    .map(k => `${encodeURIComponent(k)}=${encodeURIComponent(query[k])}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

function header(res, name) {
  const headers = res.header || {}
  const key = Object.keys(headers).find(k => k.toLowerCase() === name.toLowerCase())
  return key ? headers[key] : undefined
}

// Turn a non-2xx answer into an ApiError whose message can be shown as is.
function toError(res, { auth, publicCall }) {
  const m = i18n.t()
  const status = res.statusCode
  const body = res.data && typeof res.data === 'object' ? res.data : {}
  if (status === 401) {
    if (auth && !publicCall) {
      clearSession()
      goToLogin()
    }
    return new ApiError(status, body.reason || m.errors.unauthorized, body)
  }
  if (status === 429) {
    const seconds = parseInt(header(res, 'Retry-After'), 10) || 0
    return new ApiError(status, body.reason || m.errors.rateLimited(seconds), body, seconds)
  }
  if (status >= 500) return new ApiError(status, body.reason || m.errors.server, body)
  if (status === 400) {
    const first = (body.details || [])[0]
    const text = first ? first.message : body.reason || m.errors.invalid
    return new ApiError(status, text, body)
  }
  if (status === 403) return new ApiError(status, body.reason || m.errors.forbidden, body)
  if (status === 404) return new ApiError(status, body.reason || m.errors.notFound, body)
  if (status === 409) return new ApiError(status, body.reason || m.errors.conflict, body)
  if (status === 413) return new ApiError(status, body.reason || m.errors.tooLarge, body)
  return new ApiError(status, body.reason || body.error || m.errors.server, body)
}

function send(name, { params, query, data, auth, publicCall, token }) {
  const [method, template] = ENDPOINTS[name]
  const headers = { 'Content-Type': 'application/json', 'Accept-Language': i18n.lang() }
  if (token) headers.Authorization = `Bearer ${token}`
  return new Promise((resolve, reject) => {
    wx.request({
      url: config.baseUrl + buildPath(template, params || {}) + queryString(query),
      method,
      data: data === undefined ? undefined : data,
      header: headers,
      timeout: config.timeoutMs,
      success(res) {
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(res.data)
        else reject(toError(res, { auth, publicCall }))
      },
      fail() {
        reject(new ApiError(0, i18n.t().errors.network))
      },
    })
  })
}

// One refresh at a time: calls made while it runs wait for it and use the new token.
let refreshing = null

function refreshSession() {
  const session = getSession()
  if (!session) return Promise.resolve(null)
  if (!refreshing) {
    refreshing = send('refresh', { data: {}, auth: true, token: session.token })
      .then(body => setSession({ ...session, ...body }))
      .finally(() => {
        refreshing = null
      })
  }
  return refreshing
}

/** The token to send: refreshed first when it expires within REFRESH_MARGIN_MS. */
function freshToken() {
  const session = getSession()
  if (!session || !session.token) return Promise.resolve('')
  const expires = Date.parse(session.expiresAt || '')
  if (refreshing || (expires && expires - Date.now() < REFRESH_MARGIN_MS)) {
    return refreshSession()
      .then(s => (s && s.token) || '')
      .catch(() => getToken())
  }
  return Promise.resolve(session.token)
}

/**
 * Call one endpoint. `params` fill the path, `query` the query string, `data` the JSON body.
 * Resolves with the parsed body; rejects with an ApiError carrying a message to show.
 */
function call(name, { params, query, data, publicCall } = {}) {
  const auth = !publicCall
  return (auth ? freshToken() : Promise.resolve('')).then(token =>
    send(name, { params, query, data, auth, publicCall, token }),
  )
}

// ---- sign-in ----------------------------------------------------------------------------------

function login(wechatId, password) {
  return call('login', { data: { wechatId, password }, publicCall: true }).then(body => {
    setSession(body)
    return body
  })
}

/** wx.login → a one-time code (what the server exchanges through sns/jscode2session). */
function wxCode() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: res => (res.code ? resolve(res.code) : reject(new ApiError(0, i18n.t().login.wechatFailed))),
      fail: () => reject(new ApiError(0, i18n.t().login.wechatFailed)),
    })
  })
}

/** Sign in with WeChat alone: an operator who bound it, a reviewer, or a group member (by `scope`). */
function signInWithWechat() {
  return wxCode()
    .then(code => call('wechatSignIn', { data: { code }, publicCall: true }))
    .then(body => setSession(body))
}

/** A signed-in operator binds this phone's WeChat ("绑定微信") to sign in with it from now on. */
function bindWechat() {
  return wxCode().then(code => call('bindWechat', { data: { code } }))
}

function logout() {
  return call('logout', { data: {} }).finally(clearSession)
}

// ---- media ------------------------------------------------------------------------------------

// Upload a chosen image (wx.chooseMedia's tempFilePath) → {mediaId, url, fileName, …}; `url` loads the
// picture without an Authorization header (an <image> cannot send one).
function uploadImage(filePath) {
  const [, path] = ENDPOINTS.uploadMedia
  return freshToken().then(
    token =>
      new Promise((resolve, reject) => {
        wx.uploadFile({
          url: config.baseUrl + path,
          filePath,
          name: 'file',
          header: { Authorization: `Bearer ${token}`, 'Accept-Language': i18n.lang() },
          success(res) {
            let body = res.data
            try {
              body = typeof body === 'string' ? JSON.parse(body) : body
            } catch (e) {
              body = {}
            }
            if (res.statusCode >= 200 && res.statusCode < 300) resolve(body)
            else reject(toError({ statusCode: res.statusCode, data: body, header: res.header }, { auth: true }))
          },
          fail() {
            reject(new ApiError(0, i18n.t().errors.network))
          },
        })
      }),
  )
}

// ---- feedback ---------------------------------------------------------------------------------

/**
 * Who is answering: wx.login → POST /api/auth/wechat. A group member gets a `member` token whose
 * memberId the server uses; a stored operator session is never replaced by it.
 */
function memberIdentity() {
  const stored = getSession()
  if (stored && stored.scope === 'member') return Promise.resolve(stored)
  return wxCode()
    .then(code => call('wechatSignIn', { data: { code }, publicCall: true }))
    .then(body => (stored ? body : setSession(body)))
}

/** A group member answers a push; the signed `ptfb` token from the link names the task and group. */
function submitFeedback({ token, rating, text }) {
  return memberIdentity().then(who => {
    const data = { token, rating, content: text }
    if (who.scope === 'member') {
      return send('submitFeedback', { data: { ...data, memberId: who.memberId }, publicCall: true, token: who.token })
    }
    // Someone signed in as operator or reviewer answering as a member: the link's token is enough.
    const memberId = who.user ? `u-${who.user.id}` : `r-${who.reviewer && who.reviewer.recipientId}`
    return call('submitFeedback', { data: { ...data, memberId }, publicCall: true })
  })
}

// ---- tracked links (issue 19) -----------------------------------------------------------------

const LINK_CODE = /^[0-9A-Za-z]{12}$/

/**
 * A group's card opened the mini program with `ptl=<code>` in its page path: tell the server, once per
 * code while the app runs. A member already signed in is named (their open and their answer count as one
 * person); nobody is asked to sign in for it. Resolves to whether a report was sent.
 */
const reportedLinks = new Set()
function reportLinkOpen(code) {
  if (!code || !LINK_CODE.test(code) || reportedLinks.has(code)) return Promise.resolve(false)
  reportedLinks.add(code)
  const stored = getSession()
  const data = stored && stored.scope === 'member' && stored.memberId ? { memberId: stored.memberId } : {}
  return send('linkOpened', { params: { code }, data, publicCall: true }).then(
    () => true,
    // Counting an open must never disturb the member's page: a refused report is only logged.
    error => {
      console.warn('link open not counted', code, error && error.status)
      return false
    },
  )
}

module.exports = {
  ENDPOINTS,
  reportLinkOpen,
  REFRESH_MARGIN_MS,
  ApiError,
  getSession,
  setSession,
  getToken,
  getUser,
  clearSession,
  refreshSession,
  login,
  logout,
  signInWithWechat,
  bindWechat,
  wechatBinding: () => call('wechatBinding'),
  me: () => call('me'),
  listUsers: () => call('listUsers', { query: { limit: 100 } }),
  // {status, q, startTime, endTime, groupId, creatorId, recipientId, page, limit} → {tasks, total, page, limit}
  listTasks: query => call('listTasks', { query }),
  getTask: taskId => call('getTask', { params: { taskId } }),
  createTask: body => call('createTask', { data: body }),
  updateTask: (taskId, body) => call('updateTask', { params: { taskId }, data: body }),
  pauseTask: taskId => call('pauseTask', { params: { taskId }, data: {} }),
  resumeTask: taskId => call('resumeTask', { params: { taskId } }),
  copyTask: taskId => call('copyTask', { params: { taskId } }),
  deleteTask: taskId => call('deleteTask', { params: { taskId } }),
  taskLogs: taskId => call('taskLogs', { params: { taskId } }),
  taskPushes: taskId => call('taskPushes', { params: { taskId }, query: { limit: 20 } }),
  getPush: pushId => call('getPush', { params: { pushId } }),
  listGroups: (q, page) => call('listGroups', { query: { q, page, limit: 100 } }),
  listRecipients: (q, page) => call('listRecipients', { query: { q, page, limit: 100 } }),
  listTemplates: () => call('listTemplates'),
  uploadImage,
  // → {previewId, validation, recipients, warnings}; 400 {error, validation} when the content is refused.
  sendPreview: taskId => call('sendPreview', { data: { taskId } }),
  // → PreviewOut: {previewId, taskId, content: {name, text, image, imageUrl, …}, status, stale, decisions, …}
  getPreview: previewId => call('getPreview', { params: { previewId } }),
  decidePreview: (previewId, response, comment) =>
    call('decidePreview', { data: comment ? { previewId, response, comment } : { previewId, response } }),
  myPreviews: () => call('myPreviews'),
  // Record what wx.requestSubscribeMessage answered: {templateIds, result} → {granted, remaining, needsSubscribe}
  recordSubscription: (templateIds, result) => call('mySubscriptions', { data: { templateIds, result } }),
  submitFeedback,
}
