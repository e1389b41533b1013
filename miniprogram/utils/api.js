// The one client of the PushTask REST API. Every server path the mini program uses is in ENDPOINTS
// below (miniprogram/README.md lists them for whoever changes the server). The base URL comes from
// config.js; the JWT is kept in storage; a 401 on a signed-in call sends the user to the sign-in page.
const config = require('../config')
const messages = require('./messages')

const TOKEN_KEY = 'pushtask.token'
const USER_KEY = 'pushtask.user'
const LOGIN_PAGE = '/pages/login/login'

// [method, path template]; `:name` parts are filled from the call's arguments.
const ENDPOINTS = {
  login: ['POST', '/api/auth/login'],
  logout: ['POST', '/api/auth/logout'],
  me: ['GET', '/api/auth/me'],
  listTasks: ['GET', '/api/tasks'],
  getTask: ['GET', '/api/tasks/:taskId'],
  createTask: ['POST', '/api/tasks'],
  updateTask: ['PUT', '/api/tasks/:taskId'],
  pauseTask: ['POST', '/api/tasks/:taskId/pause'],
  resumeTask: ['POST', '/api/tasks/:taskId/resume'],
  copyTask: ['POST', '/api/tasks/:taskId/copy'],
  deleteTask: ['DELETE', '/api/tasks/:taskId'],
  listGroups: ['GET', '/api/groups'],
  listRecipients: ['GET', '/api/recipients'],
  // Built on other branches (preview issue, notifications issue); shapes from PRD §8.4 / §8.6.
  uploadMedia: ['POST', '/api/media'],
  sendPreview: ['POST', '/api/preview'],
  getPreview: ['GET', '/api/preview/:previewId'],
  decidePreview: ['POST', '/api/preview/confirm'],
  submitFeedback: ['POST', '/api/feedback'],
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

function getToken() {
  return wx.getStorageSync(TOKEN_KEY) || ''
}

function getUser() {
  return wx.getStorageSync(USER_KEY) || null
}

function clearSession() {
  wx.removeStorageSync(TOKEN_KEY)
  wx.removeStorageSync(USER_KEY)
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
  const status = res.statusCode
  const body = res.data && typeof res.data === 'object' ? res.data : {}
  if (status === 401) {
    if (auth && !publicCall) {
      clearSession()
      goToLogin()
    }
    return new ApiError(status, body.reason || messages.errors.unauthorized, body)
  }
  if (status === 429) {
    const seconds = parseInt(header(res, 'Retry-After'), 10) || 0
    return new ApiError(status, messages.errors.rateLimited(seconds), body, seconds)
  }
  if (status >= 500) return new ApiError(status, messages.errors.server, body)
  if (status === 400) {
    const first = (body.details || [])[0]
    const text = first ? first.message : body.reason || messages.errors.invalid
    return new ApiError(status, text, body)
  }
  if (status === 403) return new ApiError(status, body.reason || messages.errors.forbidden, body)
  if (status === 404) return new ApiError(status, messages.errors.notFound, body)
  if (status === 409) return new ApiError(status, body.reason || messages.errors.conflict, body)
  if (status === 413) return new ApiError(status, messages.errors.tooLarge, body)
  return new ApiError(status, body.reason || body.error || messages.errors.server, body)
}

/**
 * Call one endpoint. `params` fill the path, `query` the query string, `data` the JSON body.
 * Resolves with the parsed body; rejects with an ApiError carrying a message to show.
 */
function call(name, { params, query, data, publicCall } = {}) {
  const [method, template] = ENDPOINTS[name]
  const auth = !publicCall && name !== 'login'
  const headers = { 'Content-Type': 'application/json', 'Accept-Language': 'zh-CN' }
  const token = getToken()
  if (auth && token) headers.Authorization = `Bearer ${token}`
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
        reject(new ApiError(0, messages.errors.network))
      },
    })
  })
}

function login(wechatId, password) {
  return call('login', { data: { wechatId, password } }).then(body => {
    wx.setStorageSync(TOKEN_KEY, body.token)
    wx.setStorageSync(USER_KEY, body.user)
    return body
  })
}

function logout() {
  return call('logout', { data: {} }).finally(clearSession)
}

// Upload a chosen image (wx.chooseMedia's tempFilePath) → {mediaId, width, height, bytes, sha256}.
function uploadImage(filePath) {
  const [, path] = ENDPOINTS.uploadMedia
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: config.baseUrl + path,
      filePath,
      name: 'file',
      header: { Authorization: `Bearer ${getToken()}`, 'Accept-Language': 'zh-CN' },
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
        reject(new ApiError(0, messages.errors.network))
      },
    })
  })
}

// The server keeps one answer per member and link. A member is identified by an id made once per
// phone and kept in storage: no sign-in and no openid exchange are needed to answer a push.
const MEMBER_KEY = 'pt_member_id'

function memberId() {
  let id = wx.getStorageSync(MEMBER_KEY)
  if (!id) {
    id = `m${Date.now().toString(36)}${Math.random().toString(36).slice(2, 12)}`
    wx.setStorageSync(MEMBER_KEY, id)
  }
  return id
}

// Public: the signed token from the push identifies task and group; no sign-in.
function submitFeedback({ token, rating, text }) {
  const data = { token, memberId: memberId(), rating, content: text }
  return call('submitFeedback', { data, publicCall: true })
}

function mediaUrl(mediaId) {
  return mediaId ? `${config.baseUrl}/api/media/${encodeURIComponent(mediaId)}` : ''
}

module.exports = {
  ENDPOINTS,
  ApiError,
  getToken,
  getUser,
  clearSession,
  login,
  logout,
  me: () => call('me'),
  // {status, q, page, limit} → {tasks, total, page, limit}
  listTasks: query => call('listTasks', { query }),
  getTask: taskId => call('getTask', { params: { taskId } }),
  createTask: body => call('createTask', { data: body }),
  updateTask: (taskId, body) => call('updateTask', { params: { taskId }, data: body }),
  pauseTask: taskId => call('pauseTask', { params: { taskId }, data: {} }),
  resumeTask: taskId => call('resumeTask', { params: { taskId } }),
  copyTask: taskId => call('copyTask', { params: { taskId } }),
  deleteTask: taskId => call('deleteTask', { params: { taskId } }),
  listGroups: (q, page) => call('listGroups', { query: { q, page, limit: 100 } }),
  listRecipients: (q, page) => call('listRecipients', { query: { q, page, limit: 100 } }),
  uploadImage,
  mediaUrl,
  // → {previewId, validation: {isValid, errors}}; 400 {error, validation} when the content is refused.
  sendPreview: taskId => call('sendPreview', { data: { taskId } }),
  // → {previewId, taskId, taskName, content, state, ...} for the reviewer's preview page.
  getPreview: previewId => call('getPreview', { params: { previewId } }),
  decidePreview: (previewId, response, comment) =>
    call('decidePreview', { data: { previewId, response, comment: comment || '' } }),
  submitFeedback,
}
