const api = require('../utils/api')
const { serve, signIn, settle } = require('./helpers')
const fixtures = require('./fixtures')

describe('the API client', () => {
  test('refreshes the token before it expires, once for calls made together', async () => {
    signIn({ expiresAt: new Date(Date.now() + 10 * 60 * 1000).toISOString() })
    const calls = serve({
      'POST /api/auth/refresh': () => ({ data: { ...fixtures.signInOut('operator'), token: 'renewed.token' } }),
      'GET /api/auth/me': () => ({ data: { user: fixtures.user } }),
    })
    await Promise.all([api.me(), api.me()])
    expect(calls.map(c => c.path)).toEqual(['/api/auth/refresh', '/api/auth/me', '/api/auth/me'])
    expect(calls[0].header.Authorization).toBe('Bearer header.payload.signature')
    expect(calls[1].header.Authorization).toBe('Bearer renewed.token')
    expect(api.getSession()).toMatchObject({ token: 'renewed.token', expiresAt: '2099-01-01T00:00:00Z', scope: 'operator' })
  })

  test('a token far from expiry is used as is', async () => {
    signIn()
    const calls = serve({ 'GET /api/auth/me': () => ({ data: { user: fixtures.user } }) })
    await api.me()
    expect(calls.map(c => c.path)).toEqual(['/api/auth/me'])
  })

  test('a 401 drops the session and opens sign-in with the way back', async () => {
    signIn()
    global.getCurrentPages = () => [{ route: 'pages/task/task', options: { id: 'task-1' } }]
    serve({ 'GET /api/auth/me': () => ({ status: 401, data: { error: 'Unauthorized' } }) })
    await expect(api.me()).rejects.toMatchObject({ status: 401, message: '登录已失效，请重新登录' })
    expect(api.getSession()).toBeNull()
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: `/pages/login/login?redirect=${encodeURIComponent('/pages/task/task?id=task-1')}` })
  })

  test('errors carry a message to show: 400 field, 409 reason, 429 wait, 500, network', async () => {
    signIn()
    let answer
    serve({ 'GET /api/tasks': () => answer })
    answer = { status: 400, data: { error: 'Invalid input', details: [{ field: 'q', message: '太长了' }] } }
    await expect(api.listTasks({})).rejects.toMatchObject({ message: '太长了' })
    answer = { status: 500, data: { error: 'Internal' }, unchecked: true }
    await expect(api.listTasks({})).rejects.toMatchObject({ message: '服务器出错，请稍后再试；若持续出现请联系管理员' })
    answer = 'network'
    await expect(api.listTasks({})).rejects.toMatchObject({ status: 0, message: '网络连接失败，请检查网络后重试' })
    answer = { status: 429, data: { error: 'Too many' }, header: { 'Retry-After': '30' }, unchecked: true }
    await expect(api.listTasks({})).rejects.toMatchObject({ message: '操作太频繁，请 30 秒后再试', retryAfter: 30 })
  })

  test('speaks the phone’s language to the server', async () => {
    signIn()
    wx.getAppBaseInfo = jest.fn(() => ({ language: 'en_US' }))
    const calls = serve({ 'GET /api/auth/me': () => ({ data: { user: fixtures.user } }) })
    await api.me()
    expect(calls[0].header['Accept-Language']).toBe('en')
    await settle()
  })
})
