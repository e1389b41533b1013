const api = require('../utils/api')
const config = require('../config')
const { serve, signIn, TOKEN } = require('./helpers')

describe('the API client', () => {
  test('signs in, keeps the token and sends it as a bearer header afterwards', async () => {
    const calls = serve({
      'POST /api/auth/login': () => ({ data: { token: TOKEN, expiresAt: 'x', user: { id: 'u1', name: '奥尔加' } } }),
      'GET /api/tasks': () => ({ data: { tasks: [], total: 0, page: 1, limit: 20 } }),
    })
    await api.login('olga', 'secret-pass')
    await api.listTasks({ page: 1, status: '', q: '周一' })

    expect(calls[0].data).toEqual({ wechatId: 'olga', password: 'secret-pass' })
    expect(calls[0].header.Authorization).toBeUndefined()
    expect(api.getUser().name).toBe('奥尔加')
    expect(calls[1].header.Authorization).toBe(`Bearer ${TOKEN}`)
    expect(calls[1].query).toEqual({ page: '1', q: '周一' })
    expect(wx.request.mock.calls[1][0].url.startsWith(config.baseUrl)).toBe(true)
  })

  test('a 401 forgets the session and sends the user to sign in, then back to the page they were on', async () => {
    signIn()
    global.getCurrentPages = () => [{ route: 'pages/preview/preview', options: { previewId: 'p1' } }]
    serve({ 'GET /api/tasks': () => ({ status: 401, data: { error: 'Unauthorized', reason: '登录已失效，请重新登录' } }) })

    const err = await api.listTasks({}).catch(e => e)

    expect(err.status).toBe(401)
    expect(err.message).toBe('登录已失效，请重新登录')
    expect(api.getToken()).toBe('')
    expect(wx.reLaunch).toHaveBeenCalledWith({
      url: `/pages/login/login?redirect=${encodeURIComponent('/pages/preview/preview?previewId=p1')}`,
    })
  })

  test('a 429 says how long to wait, from Retry-After', async () => {
    signIn()
    serve({ 'POST /api/preview': () => ({ status: 429, data: { error: 'Rate limit exceeded' }, header: { 'retry-after': '30' } }) })

    const err = await api.sendPreview('t1').catch(e => e)

    expect(err.status).toBe(429)
    expect(err.retryAfter).toBe(30)
    expect(err.message).toBe('操作太频繁，请 30 秒后再试')
  })

  test('a 500 becomes a message that says what to do, not a stack trace', async () => {
    signIn()
    serve({ 'GET /api/tasks/:id': () => ({ status: 500, data: '<html>Internal Server Error</html>' }) })

    const err = await api.getTask('t1').catch(e => e)

    expect(err.status).toBe(500)
    expect(err.message).toBe('服务器出错，请稍后再试；若持续出现请联系管理员')
    expect(wx.reLaunch).not.toHaveBeenCalled()
  })

  test('a 400 carries the field messages and shows the first', async () => {
    signIn()
    const details = [
      { field: 'name', message: '任务名称应为 1–50 个字（当前 0 个）' },
      { field: 'groups', message: '请至少选择 1 个目标群' },
    ]
    serve({ 'POST /api/tasks': () => ({ status: 400, data: { error: 'Invalid input', details } }) })

    const err = await api.createTask({}).catch(e => e)

    expect(err.details).toEqual(details)
    expect(err.message).toBe('任务名称应为 1–50 个字（当前 0 个）')
  })

  test('a 409 shows the server reason', async () => {
    signIn()
    serve({ 'DELETE /api/tasks/:id': () => ({ status: 409, data: { error: 'Conflict', reason: '请先暂停任务再删除' } }) })

    const err = await api.deleteTask('t1').catch(e => e)

    expect(err.message).toBe('请先暂停任务再删除')
  })

  test('no network is reported as such', async () => {
    signIn()
    serve({ 'GET /api/groups': () => 'network' })

    const err = await api.listGroups('').catch(e => e)

    expect(err.status).toBe(0)
    expect(err.message).toBe('网络连接失败，请检查网络后重试')
  })

  test('the public feedback call sends no token and a 401 there does not send anyone to sign in', async () => {
    signIn()
    const calls = serve({ 'POST /api/feedback': () => ({ status: 401, data: { error: 'Invalid token' } }) })

    const err = await api.submitFeedback({ token: 'signed', rating: 5, text: '很好' }).catch(e => e)

    expect(err.status).toBe(401)
    expect(calls[0].header.Authorization).toBeUndefined()
    expect(calls[0].data).toEqual({ token: 'signed', memberId: expect.stringMatching(/^m[0-9a-z]+$/), rating: 5, content: '很好' })
    const again = serve({ 'POST /api/feedback': () => ({ status: 200, data: { message: 'Feedback received' } }) })
    await api.submitFeedback({ token: 'signed', rating: 4, text: '' })
    expect(again[0].data.memberId).toBe(calls[0].data.memberId) // the same member on this phone
    expect(wx.reLaunch).not.toHaveBeenCalled()
    expect(api.getToken()).toBe(TOKEN)
  })

  test('path parameters are escaped', async () => {
    signIn()
    const calls = serve({ 'POST /api/tasks/:id/pause': () => ({ data: { taskId: 'a/b', message: 'Task paused' } }) })

    await api.pauseTask('a/b')

    expect(calls[0].path).toBe('/api/tasks/a%2Fb/pause')
    expect(calls[0].data).toEqual({})
  })
})
