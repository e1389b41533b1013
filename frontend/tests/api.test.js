import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { api, ApiError, errorMessage, fieldErrors, refreshIfDue, session, setUnauthorizedHandler, toQuery } from '../src/api.js'

function respond(status, body, headers = {}) {
  return vi.fn(async () => new Response(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body), {
    status, headers: { 'Content-Type': 'application/json', ...headers },
  }))
}

describe('API client', () => {
  let redirected
  beforeEach(() => {
    localStorage.clear()
    redirected = []
    setUnauthorizedHandler((path) => redirected.push(path))
    window.history.replaceState(null, '', '/tasks?page=2')
  })
  afterEach(() => vi.unstubAllGlobals())

  it('sends the JWT as a bearer token', async () => {
    session.save({ token: 'tok', expiresAt: null, user: { id: 1 } })
    const fetch = respond(200, { tasks: [], total: 0 })
    vi.stubGlobal('fetch', fetch)
    await api.listTasks({ status: 'paused', q: '', page: 1 })
    const [url, init] = fetch.mock.calls[0]
    expect(url).toBe('/api/tasks?status=paused&page=1')
    expect(init.headers.Authorization).toBe('Bearer tok')
  })

  it('on 401 forgets the session and sends the user to sign in with a way back', async () => {
    session.save({ token: 'old', expiresAt: null, user: { id: 1 } })
    vi.stubGlobal('fetch', respond(401, { error: 'Token expired' }))
    const err = await api.listTasks().catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(401)
    expect(err.handled).toBe(true)
    expect(session.token).toBeNull()
    expect(redirected).toEqual(['/tasks?page=2'])
  })

  it('does not redirect when the sign-in itself is refused', async () => {
    vi.stubGlobal('fetch', respond(401, { error: 'Invalid credentials' }))
    const err = await api.login('u', 'bad').catch((e) => e)
    expect(err.status).toBe(401)
    expect(err.message).toBe('Invalid credentials')
    expect(err.handled).toBe(false)
    expect(redirected).toEqual([])
  })

  it('carries 400 field details and maps them onto form fields', async () => {
    vi.stubGlobal('fetch', respond(400, {
      error: 'Invalid input',
      details: [
        { field: 'name', message: '任务名称最多50字' },
        { field: 'schedule.weekdays[0]', message: 'bad weekday' },
        { field: 'groups.3', message: 'unknown group' },
        { field: 'groups', message: 'second message ignored' },
      ],
    }))
    const err = await api.createTask({}).catch((e) => e)
    expect(err.status).toBe(400)
    expect(err.message).toBe('Invalid input')
    expect(fieldErrors(err.details)).toEqual({
      name: '任务名称最多50字', 'schedule.weekdays': 'bad weekday', groups: 'unknown group',
    })
  })

  it('surfaces the server reason (in the user language) over the short error label', async () => {
    vi.stubGlobal('fetch', respond(409, { error: 'Conflict', reason: '只能删除草稿或已暂停的任务' }))
    const err = await api.deleteTask('t1').catch((e) => e)
    expect(errorMessage(err, (k) => k)).toBe('只能删除草稿或已暂停的任务')
    vi.stubGlobal('fetch', respond(409, { error: 'Task cannot be paused' }))
    expect(errorMessage(await api.pauseTask('t1').catch((e) => e), (k) => k)).toBe('Task cannot be paused')
  })

  it('says what to do on throttling and server trouble', async () => {
    const t = (k, p) => (p ? `${k}(${p.msg})` : k)
    vi.stubGlobal('fetch', respond(429, { error: 'Too many attempts' }))
    expect(errorMessage(await api.login('u', 'p').catch((e) => e), t)).toBe('err.tooMany')
    vi.stubGlobal('fetch', respond(503, { error: 'Service unavailable', reason: '数据库暂不可用' }))
    expect(errorMessage(await api.me().catch((e) => e), t)).toBe('err.server(数据库暂不可用)')
    vi.stubGlobal('fetch', respond(502, '<html>Bad gateway</html>', { 'Content-Type': 'text/html' }))
    const err = await api.me().catch((e) => e)
    expect(err.status).toBe(502)
    expect(errorMessage(err, t)).toMatch(/^err\.server\(/)
  })

  it('reports an unreachable server as status 0 with advice', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch') }))
    const err = await api.me().catch((e) => e)
    expect(err.status).toBe(0)
    expect(errorMessage(err, (k) => k)).toBe('err.network')
  })

  it('downloads the CSV export as a blob with the token', async () => {
    session.save({ token: 'tok', expiresAt: null, user: null })
    const fetch = vi.fn(async () => new Response('\ufeffid,name\n', {
      status: 200, headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="tasks.csv"' },
    }))
    vi.stubGlobal('fetch', fetch)
    const { blob, filename } = await api.exportTasks({ status: 'draft' })
    expect(filename).toBe('tasks.csv')
    expect(await blob.text()).toContain('id,name')
    expect(fetch.mock.calls[0][0]).toBe('/api/tasks/export?status=draft')
    expect(fetch.mock.calls[0][1].headers.Authorization).toBe('Bearer tok')
  })

  it('renews a session about to expire before a change, and uses the new token', async () => {
    session.save({ token: 'old', expiresAt: new Date(Date.now() + 10 * 60e3).toISOString(), user: { id: 1 } })
    const fresh = new Date(Date.now() + 8 * 3600e3).toISOString()
    const fetch = vi.fn(async (url) => new Response(JSON.stringify(
      url === '/api/auth/refresh' ? { token: 'new', expiresAt: fresh, user: { id: 1 } } : { taskId: 't', message: 'Task created' },
    ), { status: url === '/api/tasks' ? 201 : 200 }))
    vi.stubGlobal('fetch', fetch)
    await api.createTask({ name: 'x' })
    expect(fetch.mock.calls.map((c) => c[0])).toEqual(['/api/auth/refresh', '/api/tasks'])
    expect(fetch.mock.calls[0][1].headers.Authorization).toBe('Bearer old')
    expect(fetch.mock.calls[1][1].headers.Authorization).toBe('Bearer new')
    expect(session.expiresAt).toBe(fresh)
  })

  it('does not renew a session from polling, nor one with time to spare', async () => {
    const fetch = respond(200, { tasks: [], total: 0 })
    vi.stubGlobal('fetch', fetch)
    session.save({ token: 'tok', expiresAt: new Date(Date.now() + 10 * 60e3).toISOString(), user: null })
    await api.listTasks()
    session.save({ token: 'tok', expiresAt: new Date(Date.now() + 5 * 3600e3).toISOString(), user: null })
    await refreshIfDue()
    expect(fetch.mock.calls.map((c) => c[0])).toEqual(['/api/tasks'])
  })

  it('knows an expired session', () => {
    session.save({ token: 't', expiresAt: '2025-01-01T00:00:00Z', user: null })
    expect(session.isActive(Date.parse('2024-12-31T00:00:00Z'))).toBe(true)
    expect(session.isActive(Date.parse('2025-01-02T00:00:00Z'))).toBe(false)
  })

  it('builds queries without empty values', () => {
    expect(toQuery({ a: '', b: null, c: 0, d: ['x', 'y'], e: [] })).toBe('?c=0&d=x%2Cy')
  })
})
