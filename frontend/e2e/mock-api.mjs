// An in-memory stand-in for the PushTask API, written from the contract in the front-end brief,
// for developing and checking the admin before (or without) the Flask server. It serves the
// built admin from ../../pushtask/web too. It is NOT the server: no scheduling, no real
// validation beyond what the UI needs to show errors. Usage: node e2e/mock-api.mjs [port]
import http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const webDir = path.resolve(here, '../../pushtask/web')
const port = Number(process.argv[2] || process.env.PORT || 8199)
const seg = new Intl.Segmenter('zh', { granularity: 'grapheme' })
const count = (s) => [...seg.segment(s || '')].length
const id = () => crypto.randomUUID().replace(/-/g, '')
const now = () => new Date().toISOString()

const users = [{ id: 'u1', wechatId: 'admin', name: '管理员', role: 'admin', password: 'admin-pass', createdAt: now() }]
const channels = ['wecom_appchat', 'wecom_robot', 'bot_bridge']
const groups = Array.from({ length: 12 }, (_, i) => ({ groupId: `g${i + 1}`, name: `三年级${i + 1}班家长群`, channel: channels[i % 3], memberCount: 40 + i }))
const recipients = [
  { recipientId: 'r1', name: '王老师', wechatId: 'wang_t', channel: 'wecom' },
  { recipientId: 'r2', name: '李主任', wechatId: 'li_dir', channel: 'miniprogram' },
]
const tasks = new Map()
const logs = []
const tokens = new Map()

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers })
  res.end(body === undefined ? '' : JSON.stringify(body))
}
const invalid = (res, details) => send(res, 400, { error: 'Invalid input', details })

function validate(b, partial) {
  const d = []
  if (!partial || 'name' in b) {
    if (!b.name || !String(b.name).trim()) d.push({ field: 'name', message: '任务名称不能为空' })
    else if (count(b.name) > 50) d.push({ field: 'name', message: '任务名称最多50字' })
  }
  if (b.content?.text && count(b.content.text) > 500) d.push({ field: 'content.text', message: '文本超长，请精简' })
  if (b.groups && b.groups.length > 100) d.push({ field: 'groups', message: '最多100个群' })
  if (b.status === 'scheduled' && (!b.groups || !b.groups.length) && !partial) d.push({ field: 'groups', message: '请至少选择一个群' })
  return d
}

function view(t) {
  return {
    ...t,
    groupNames: t.groups.map((g) => groups.find((x) => x.groupId === g)?.name || g),
    previewRecipientNames: t.previewRecipients.map((r) => recipients.find((x) => x.recipientId === r)?.name || r),
    nextFireAt: t.status === 'scheduled' || t.status === 'running' ? t.schedule?.time || null : null,
    scheduleText: null,
  }
}

function log(task, action, user, changes = {}) {
  logs.push({ logId: id(), taskId: task.taskId, action, userId: user.id, userName: user.name, timestamp: now(), changes })
}

function applyUpdate(t, b, user) {
  const changes = {}
  for (const k of ['name', 'schedule', 'content', 'groups', 'priority', 'status', 'previewRecipients']) {
    if (k in b && JSON.stringify(b[k]) !== JSON.stringify(t[k])) {
      changes[k] = { old: t[k], new: b[k] }
      t[k] = k === 'schedule' && t.schedule ? { ...t.schedule, ...b[k] } : b[k]
    }
  }
  t.updatedAt = now()
  log(t, 'update', user, changes)
}

function listFiltered(q) {
  let list = [...tasks.values()].filter((t) => !t.deleted)
  if (q.status) list = list.filter((t) => t.status === q.status)
  if (q.priority) list = list.filter((t) => t.priority === q.priority)
  if (q.groupId) list = list.filter((t) => t.groups.includes(q.groupId))
  if (q.recipientId) list = list.filter((t) => t.previewRecipients.includes(q.recipientId))
  if (q.creatorId) list = list.filter((t) => t.creatorId === q.creatorId)
  if (q.q) list = list.filter((t) => t.name.includes(q.q))
  if (q.startTime) list = list.filter((t) => t.schedule?.time && Date.parse(t.schedule.time) >= Date.parse(q.startTime))
  if (q.endTime) list = list.filter((t) => t.schedule?.time && Date.parse(t.schedule.time) <= Date.parse(q.endTime))
  const rank = { high: 0, medium: 1, low: 2 }
  const keys = (q.sort || '-createdAt').split(',')
  list.sort((a, b) => {
    for (const k of keys) {
      const desc = k.startsWith('-')
      const key = k.replace(/^-/, '')
      const va = key === 'priority' ? -rank[a.priority] : key === 'scheduleTime' ? a.schedule?.time || '' : a[key]
      const vb = key === 'priority' ? -rank[b.priority] : key === 'scheduleTime' ? b.schedule?.time || '' : b[key]
      if (va < vb) return desc ? 1 : -1
      if (va > vb) return desc ? -1 : 1
    }
    return 0
  })
  return list
}

async function body(req) {
  let s = ''
  for await (const c of req) s += c
  return s ? JSON.parse(s) : {}
}

async function api(req, res, url) {
  const p = url.pathname.replace(/^\/api/, '')
  const q = Object.fromEntries(url.searchParams)
  const m = req.method
  if (p === '/auth/login' && m === 'POST') {
    const b = await body(req)
    const u = users.find((x) => x.wechatId === b.wechatId && x.password === b.password)
    if (!u) return send(res, 401, { error: 'Invalid credentials' })
    const token = id()
    tokens.set(token, u)
    const { password, ...user } = u
    return send(res, 200, { token, expiresAt: new Date(Date.now() + 3600e3).toISOString(), user: { ...user, orgId: 'o1', orgName: '示例学校' } })
  }
  const token = (req.headers.authorization || '').replace(/^Bearer /, '')
  const user = tokens.get(token)
  if (!user) return send(res, 401, { error: 'Authentication required' })
  if (p === '/auth/logout') { tokens.delete(token); return send(res, 200, { message: 'Logged out' }) }
  if (p === '/auth/me') { const { password, ...u } = user; return send(res, 200, { user: { ...u, orgId: 'o1', orgName: '示例学校' } }) }

  if (p === '/tasks' && m === 'GET') {
    const list = listFiltered(q)
    const page = +q.page || 1
    const limit = +q.limit || 20
    return send(res, 200, { tasks: list.slice((page - 1) * limit, page * limit).map(view), total: list.length, page, limit })
  }
  if (p === '/tasks/export') {
    const rows = listFiltered(q).map((t) => [t.taskId, t.name, t.status, t.priority, t.schedule?.time || ''].join(','))
    res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="tasks.csv"' })
    return res.end('\ufefftaskId,name,status,priority,time\n' + rows.join('\n') + '\n')
  }
  if (p === '/tasks' && m === 'POST') {
    const b = await body(req)
    const d = validate(b, false)
    if (d.length) return invalid(res, d)
    const t = { taskId: id(), name: b.name, schedule: b.schedule, content: b.content || {}, groups: b.groups || [], priority: b.priority || 'medium', status: b.status || 'draft', previewRecipients: b.previewRecipients || [], creatorId: user.id, creatorName: user.name, previewState: 'none', pausedUntil: null, createdAt: now(), updatedAt: now() }
    tasks.set(t.taskId, t)
    log(t, 'create', user)
    return send(res, 201, { taskId: t.taskId, message: 'Task created' })
  }
  if (p === '/tasks/batch' && m === 'POST') {
    const b = await body(req)
    const failedTasks = []
    const results = []
    for (const tid of b.taskIds || []) {
      const t = tasks.get(tid)
      const fail = (error) => { failedTasks.push({ taskId: tid, error }); results.push({ taskId: tid, ok: false }) }
      if (!t || t.deleted) { fail('Task not found'); continue }
      if (b.action === 'delete') { if (!['draft', 'paused'].includes(t.status)) { fail('只能删除草稿或已暂停的任务'); continue } t.deleted = true; log(t, 'delete', user) }
      else if (b.action === 'pause') { if (t.status !== 'scheduled') { fail('只能暂停待执行的任务'); continue } t.status = 'paused'; t.pausedUntil = b.updates?.resumeAt || null; log(t, 'pause', user) }
      else if (b.action === 'resume') { if (t.status !== 'paused') { fail('任务未暂停'); continue } t.status = 'scheduled'; t.pausedUntil = null; log(t, 'resume', user) }
      else if (b.action === 'copy') { const c = { ...structuredClone(t), taskId: id(), name: `${t.name} (副本)`.slice(0, 50), status: 'draft', createdAt: now() }; tasks.set(c.taskId, c); log(c, 'copy', user); results.push({ taskId: tid, ok: true, newTaskId: c.taskId }); continue }
      else if (b.action === 'edit') applyUpdate(t, b.updates || {}, user)
      results.push({ taskId: tid, ok: true })
    }
    return send(res, 200, { message: 'Batch operation completed', failedTasks, results })
  }
  const tm = /^\/tasks\/([^/]+)(?:\/(\w+))?$/.exec(p)
  if (tm) {
    const t = tasks.get(tm[1])
    if (!t || t.deleted) return send(res, 404, { error: 'Task not found' })
    const sub = tm[2]
    if (!sub && m === 'GET') {
      const up = t.schedule?.time ? [0, 1, 2, 3, 4].map((i) => new Date(Date.parse(t.schedule.time) + i * 7 * 86400e3).toISOString()) : []
      return send(res, 200, { ...view(t), groupsDetail: t.groups.map((g) => groups.find((x) => x.groupId === g)).filter(Boolean), recipientsDetail: t.previewRecipients.map((r) => recipients.find((x) => x.recipientId === r)).filter(Boolean), upcoming: t.schedule?.type === 'recurring' ? up : up.slice(0, 1), lastResult: null })
    }
    if (!sub && m === 'PUT') { const b = await body(req); const d = validate(b, true); if (d.length) return invalid(res, d); applyUpdate(t, b, user); return send(res, 200, { taskId: t.taskId, message: 'Task updated' }) }
    if (!sub && m === 'DELETE') { if (!['draft', 'paused'].includes(t.status)) return send(res, 409, { error: 'Task cannot be deleted', reason: 'Only drafts and paused tasks can be deleted' }); t.deleted = true; log(t, 'delete', user); return send(res, 200, { message: 'Task deleted' }) }
    if (sub === 'pause') { const b = await body(req); if (t.status !== 'scheduled') return send(res, 409, { error: 'Task cannot be paused', reason: `status is ${t.status}` }); t.status = 'paused'; t.pausedUntil = b.resumeAt || null; log(t, 'pause', user); return send(res, 200, { message: 'Task paused' }) }
    if (sub === 'resume') { if (t.status !== 'paused') return send(res, 409, { error: 'Task is not paused' }); t.status = 'scheduled'; t.pausedUntil = null; log(t, 'resume', user); return send(res, 200, { message: 'Task resumed' }) }
    if (sub === 'copy') { const c = { ...structuredClone(t), taskId: id(), name: `${t.name} (副本)`.slice(0, 50), status: 'draft', createdAt: now() }; tasks.set(c.taskId, c); log(c, 'copy', user); return send(res, 201, { taskId: c.taskId, message: 'Task copied' }) }
    if (sub === 'logs') return send(res, 200, logs.filter((l) => l.taskId === t.taskId).reverse())
  }
  const crud = [['/groups', groups, 'groupId', 'groups'], ['/recipients', recipients, 'recipientId', 'recipients']]
  for (const [base, list, key, name] of crud) {
    if (p === base && m === 'GET') {
      const f = list.filter((x) => !q.q || x.name.includes(q.q) || (x.wechatId || '').includes(q.q))
      const page = +q.page || 1
      const limit = +q.limit || 20
      return send(res, 200, { [name]: f.slice((page - 1) * limit, page * limit), total: f.length })
    }
    if (p === base && m === 'POST') { const b = await body(req); if (!b.name) return invalid(res, [{ field: 'name', message: '必填' }]); const row = { [key]: id().slice(0, 8), ...b }; delete row.channelRef; delete row.channelUserId; list.push(row); return send(res, 201, { [key]: row[key] }) }
    const mm = new RegExp(`^${base}/([^/]+)$`).exec(p)
    if (mm) {
      const i = list.findIndex((x) => x[key] === mm[1])
      if (i < 0) return send(res, 404, { error: 'Not found' })
      if (m === 'PUT') { const b = await body(req); delete b.channelRef; delete b.channelUserId; Object.assign(list[i], b); return send(res, 200, { message: 'Updated' }) }
      if (m === 'DELETE') { list.splice(i, 1); return send(res, 200, { message: 'Deleted' }) }
    }
  }
  if (p === '/users' && m === 'GET') return send(res, 200, { users: users.map(({ password, ...u }) => u), total: users.length })
  if (p === '/users' && m === 'POST') { const b = await body(req); const u = { id: id().slice(0, 8), createdAt: now(), ...b }; users.push(u); return send(res, 201, { id: u.id }) }
  const um = /^\/users\/([^/]+)$/.exec(p)
  if (um) {
    const u = users.find((x) => x.id === um[1])
    if (!u) return send(res, 404, { error: 'User not found' })
    if (m === 'PUT') { Object.assign(u, await body(req)); return send(res, 200, { message: 'Updated' }) }
    if (m === 'DELETE') { users.splice(users.indexOf(u), 1); return send(res, 200, { message: 'Deleted' }) }
  }
  return send(res, 404, { error: 'Not found' })
}

const types = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.svg': 'image/svg+xml' }
http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x')
  try {
    if (url.pathname.startsWith('/api/')) return await api(req, res, url)
    let file = path.join(webDir, path.normalize(url.pathname))
    if (!file.startsWith(webDir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(webDir, 'index.html')
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' })
    fs.createReadStream(file).pipe(res)
  } catch (e) {
    send(res, 500, { error: String(e) })
  }
}).listen(port, '127.0.0.1', () => console.log(`mock PushTask API on http://127.0.0.1:${port}`))
