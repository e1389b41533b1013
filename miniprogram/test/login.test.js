const { serve, renderPage, settle, text, fire } = require('./helpers')
const fixtures = require('./fixtures')

async function open(routes, query) {
  const calls = serve(routes)
  const page = renderPage('login')
  await page.instance.onLoad(query || {})
  await settle()
  return { page, calls }
}

describe('signing in', () => {
  test('微信一键登录 as an operator who bound WeChat opens the task list (or where they came from)', async () => {
    const { page, calls } = await open(
      { 'POST /api/auth/wechat': () => ({ data: fixtures.signInOut('operator') }) },
      { redirect: encodeURIComponent('/pages/task/task?id=task-1') },
    )
    await fire(page, '.wechat', 'click')
    expect(calls[0].data).toEqual({ code: 'wx-login-code' })
    expect(wx.getStorageSync('pushtask.session')).toMatchObject({ token: 'operator.token.value', scope: 'operator' })
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/task/task?id=task-1' })
  })

  test('a reviewer goes to their previews; a member is told what the mini program offers them', async () => {
    const first = await open({ 'POST /api/auth/wechat': () => ({ data: fixtures.signInOut('reviewer') }) })
    await fire(first.page, '.wechat', 'click')
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/reviewer/reviewer' })

    const second = await open({ 'POST /api/auth/wechat': () => ({ data: fixtures.signInOut('member') }) })
    await fire(second.page, '.wechat', 'click')
    expect(text(second.page, '.login-note')).toContain('您不是运营人员或审核人')
  })

  test('a refused code shows the server’s reason', async () => {
    const { page } = await open({
      'POST /api/auth/wechat': () => ({ status: 401, data: { error: 'Unauthorized', reason: '微信登录凭证已使用，请重新进入小程序' } }),
    })
    await fire(page, '.wechat', 'click')
    expect(text(page, '.login-error')).toBe('微信登录凭证已使用，请重新进入小程序')
  })

  test('password sign-in, then 绑定微信 so the next sign-in needs no password', async () => {
    const { page, calls } = await open({
      'POST /api/auth/login': () => ({ data: fixtures.login() }),
      'GET /api/auth/wechat/bind': () => ({ data: { bound: false, appid: null, boundAt: null, message: '尚未绑定微信' } }),
      'POST /api/auth/wechat/bind': () => ({ data: { bound: true, appid: 'wxapp', boundAt: '2026-03-09T01:00:00Z', message: '已绑定微信' } }),
    })
    await fire(page, '.submit', 'click')
    expect(text(page, '.wechat-id')).toContain('请输入微信号')
    await fire(page, '.wechat-id', 'change', 'olga')
    await fire(page, '.password', 'change', 'secret-pass')
    await fire(page, '.submit', 'click')
    expect(calls.find(c => c.path === '/api/auth/login').data).toEqual({ wechatId: 'olga', password: 'secret-pass' })
    expect(page.querySelector('.bind-offer')).not.toBeNull()
    await fire(page, '.bind', 'click')
    const bind = calls.find(c => c.method === 'POST' && c.path === '/api/auth/wechat/bind')
    expect(bind.data).toEqual({ code: 'wx-login-code' })
    expect(bind.header.Authorization).toBe('Bearer fresh.token.value')
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/tasks/tasks' })
  })

  test('a wrong password says so', async () => {
    const { page } = await open({ 'POST /api/auth/login': () => ({ status: 401, data: { error: 'Unauthorized' } }) })
    await fire(page, '.wechat-id', 'change', 'olga')
    await fire(page, '.password', 'change', 'nope')
    await fire(page, '.submit', 'click')
    expect(text(page, '.login-error')).toBe('微信号或密码错误，请重新输入')
  })

  test('English when the phone is set to English, and a switch between the two', async () => {
    wx.getAppBaseInfo = jest.fn(() => ({ language: 'en' }))
    const { page } = await open({})
    expect(text(page, '.wechat')).toBe('Sign in with WeChat')
    await fire(page, '.language', 'tap')
    expect(text(page, '.wechat')).toBe('微信一键登录')
  })
})
